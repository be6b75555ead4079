using System.Net;
using System.Text;
using System.Text.Json;
using Paypro.Functions.Configuration;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>The operator's poison queue listing and redrive, against Azurite and the sandbox.</summary>
public sealed class PoisonRedriveTests(AzuriteFixture azurite) : PayproAppTest(azurite)
{
    private string Poison => QueueNames.PoisonOf(App.PayoutsQueue);

    [Fact]
    public async Task The_listing_shows_each_poison_message_with_its_reason_its_tradeNo_and_a_masked_mobile()
    {
        // One the app poisoned itself (no usable tradeNo), one the host moved after its last delivery.
        await App.EnqueueAsync(App.PayoutsQueue, """{"amount":120,"mobile":"254712345678"}""");
        await Eventually.UntilAsync(async () => (await App.PeekAsync(Poison)).Count == 1, "the app poisoned the message without a tradeNo");
        var movedByHost = TestTradeNos.New("PZH");
        await App.EnqueueAsync(Poison, PayproAppHarness.PayoutMessage(movedByHost, mobile: TestMobiles.Rejected));

        var listing = await ListAsync();

        Assert.Equal(Poison, listing.GetProperty("queue").GetString());
        var messages = listing.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(2, messages.Count);
        var own = Assert.Single(messages, m => !Has(m, "tradeNo"));
        Assert.Contains("tradeNo", own.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("254******678", own.GetProperty("mobile").GetString());
        Assert.True(own.GetProperty("insertedOn").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        var host = Assert.Single(messages, m => Has(m, "tradeNo") && m.GetProperty("tradeNo").GetString() == movedByHost);
        Assert.Equal("254******611", host.GetProperty("mobile").GetString());
        Assert.False(Has(host, "recordedState"));
        var raw = listing.GetRawText();
        Assert.DoesNotContain("254712345678", raw, StringComparison.Ordinal);
        Assert.DoesNotContain(TestMobiles.Rejected, raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redriven_message_of_a_tradeNo_already_paid_sends_nothing_and_leaves_only_when_asked()
    {
        var tradeNo = TestTradeNos.New("PZP");
        await App.EnqueuePayoutAsync(tradeNo);
        await App.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        await App.EnqueueAsync(Poison, PayproAppHarness.PayoutMessage(tradeNo));
        var id = (await App.Queues.GetQueueClient(Poison).PeekMessageAsync()).Value.MessageId;

        var kept = await RedriveAsync($$"""{"messageIds":["{{id}}"]}""");
        var removed = await RedriveAsync($$"""{"messageIds":["{{id}}"],"removeKnown":true}""");

        Assert.Equal("already-known", Single(kept).GetProperty("outcome").GetString());
        Assert.Equal("already-known-removed", Single(removed).GetProperty("outcome").GetString());
        Assert.Empty(await App.PeekAsync(Poison));
        Assert.Equal(0, await App.QueueLengthAsync(App.PayoutsQueue));
        Assert.Single(Sandbox.Ledger.Requests, r => r.TradeNo == tradeNo);
    }

    [Fact]
    public async Task Redriving_all_resubmits_unknown_tradeNos_once_and_keeps_what_cannot_be_performed()
    {
        var fresh = TestTradeNos.New("PZF");
        await App.EnqueueAsync(Poison, PayproAppHarness.PayoutMessage(fresh));
        await App.EnqueueAsync(Poison, "not json at all");

        var report = await RedriveAsync("""{"all":true}""");

        var outcomes = report.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("outcome").GetString()).Order().ToList();
        Assert.Equal(["kept", "resubmitted"], outcomes);
        await App.WaitForStateAsync(fresh, TransactionState.Succeeded);
        Assert.Single(Sandbox.Ledger.Requests, r => r.TradeNo == fresh);
        Assert.Equal(["not json at all"], await App.PeekAsync(Poison));
    }

    [Fact]
    public async Task Redrive_takes_the_master_key_and_a_clear_request()
    {
        using var withFunctionKey = await App.Http.PostAsync(
            $"/api/poison/payouts/redrive?code={PayproAppHarness.FunctionKey}",
            Json("""{"all":true}"""));
        using var neither = await PostRedriveAsync("{}");
        using var both = await PostRedriveAsync("""{"all":true,"messageIds":["x"]}""");
        using var malformed = await PostRedriveAsync("""{"all":""");
        using var unknownField = await PostRedriveAsync("""{"all":true,"everything":true}""");
        using var unknownQueue = await App.Http.PostAsync(
            $"/api/poison/events/redrive?code={PayproAppHarness.MasterKey}",
            Json("""{"all":true}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, withFunctionKey.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, neither.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownQueue.StatusCode);
    }

    private async Task<JsonElement> ListAsync()
    {
        using var response = await App.GetApiAsync("poison/payouts");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<JsonElement> RedriveAsync(string body)
    {
        using var response = await PostRedriveAsync(body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"redrive answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private Task<HttpResponseMessage> PostRedriveAsync(string body) =>
        App.Http.PostAsync($"/api/poison/payouts/redrive?code={PayproAppHarness.MasterKey}", Json(body));

    private static bool Has(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    private static JsonElement Single(JsonElement report) => Assert.Single(report.GetProperty("messages").EnumerateArray());

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
