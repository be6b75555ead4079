using System.Net;
using System.Text.Json;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>The operator's HTTP API over real HTTP, with the function key, against Azurite and the sandbox.</summary>
public sealed class OperatorApiTests(AzuriteFixture azurite) : PayproAppTest(azurite)
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private async Task<string> SucceededAsync(TransactionKind kind, long amount = 120)
    {
        var tradeNo = TestTradeNos.New("OP");
        await App.EnqueueAsync(kind, tradeNo, amount, "254712345678");
        await App.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        // The callback's audit row is the last thing its invocation writes, after the event; the sandbox sees
        // the callback delivered only once the app answered it.
        await Eventually.UntilAsync(() => Sandbox.Callbacks.Any(c => c.TradeNo == tradeNo && c.State == CallbackState.Delivered),
            $"the callback for {tradeNo} was answered");
        return tradeNo;
    }

    [Fact]
    public async Task A_payout_is_shown_with_its_history_and_a_masked_mobile()
    {
        var tradeNo = await SucceededAsync(TransactionKind.Payout, 150);

        var response = await App.GetApiAsync($"payouts/{tradeNo}");

        var body = await response.Content.ReadAsStringAsync();
        var view = await JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(tradeNo, view.GetProperty("tradeNo").GetString());
        Assert.Equal("payout", view.GetProperty("kind").GetString());
        Assert.Equal("succeeded", view.GetProperty("state").GetString());
        Assert.True(view.GetProperty("final").GetBoolean());
        Assert.Equal(150, view.GetProperty("amount").GetInt64());
        Assert.Equal("0000", view.GetProperty("payproStatus").GetString());
        Assert.Equal("254******678", view.GetProperty("mobile").GetString());
        Assert.DoesNotContain("254712345678", body);
        var history = view.GetProperty("history").EnumerateArray().ToList();
        // "submitted" may be skipped: the sandbox's callback can overtake the create call's answer.
        var states = history
            .Where(h => h.GetProperty("category").GetString() == "state")
            .Select(h => h.GetProperty("verdict").GetString())
            .ToList();
        Assert.Equal("submitting", states[0]);
        Assert.Equal("succeeded", states[^1]);
        Assert.Single(states, s => s == "succeeded");
        Assert.Contains(
            history,
            h => h.GetProperty("category").GetString() == "callback" && h.GetProperty("verdict").GetString() == "applied");
    }

    [Fact]
    public async Task A_payin_is_shown_under_payins_and_not_under_payouts()
    {
        var tradeNo = await SucceededAsync(TransactionKind.Payin);

        var view = await JsonAsync(await App.GetApiAsync($"payins/{tradeNo}"), HttpStatusCode.OK);
        Assert.Equal("payin", view.GetProperty("kind").GetString());
        Assert.Equal("succeeded", view.GetProperty("state").GetString());
        Assert.Equal("254******678", view.GetProperty("mobile").GetString());

        var asPayout = await JsonAsync(await App.GetApiAsync($"payouts/{tradeNo}"), HttpStatusCode.NotFound);
        Assert.Contains(tradeNo, asPayout.GetProperty("detail").GetString());
        var payout = await SucceededAsync(TransactionKind.Payout);
        await JsonAsync(await App.GetApiAsync($"payins/{payout}"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("payouts")]
    [InlineData("payins")]
    public async Task An_unknown_tradeNo_is_404_and_an_invalid_one_is_400(string collection)
    {
        var unknown = await JsonAsync(await App.GetApiAsync($"{collection}/{TestTradeNos.New("NOPE")}"), HttpStatusCode.NotFound);
        Assert.Equal(404, unknown.GetProperty("status").GetInt32());

        var invalid = await JsonAsync(
            await App.GetApiAsync($"{collection}/{Uri.EscapeDataString("no spaces allowed")}"),
            HttpStatusCode.BadRequest);
        Assert.Contains("tradeNo", invalid.GetProperty("detail").GetString());
        await JsonAsync(await App.GetApiAsync($"{collection}/{new string('A', 65)}"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Without_the_function_key_the_operator_API_answers_401()
    {
        var tradeNo = await SucceededAsync(TransactionKind.Payout);

        Assert.Equal(HttpStatusCode.Unauthorized, (await App.Http.GetAsync($"/api/payouts/{tradeNo}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await App.Http.GetAsync("/api/balance")).StatusCode);
    }

    [Fact]
    public async Task Check_asks_Paypro_now_and_records_the_result()
    {
        var tradeNo = TestTradeNos.New("CHK");
        Sandbox.DropCallbacks(TransactionKind.Payout, tradeNo);
        await App.EnqueuePayoutAsync(tradeNo);
        await App.WaitForStateAsync(tradeNo, TransactionState.Submitted);
        await Eventually.UntilAsync(
            () => Sandbox.Ledger.Find(SandboxTransactionKind.Payout, tradeNo)?.Status == "0000",
            "Paypro paid it (and dropped the callback)");
        Assert.DoesNotContain(Sandbox.Ledger.Requests, r => r.Endpoint == "/api/queryPayOutResult" && r.TradeNo == tradeNo);

        var view = await JsonAsync(await App.PostApiAsync($"payouts/{tradeNo}/check"), HttpStatusCode.OK);

        Assert.Equal("succeeded", view.GetProperty("state").GetString());
        Assert.Single(Sandbox.Ledger.Requests, r => r.Endpoint == "/api/queryPayOutResult" && r.TradeNo == tradeNo);
        Assert.Equal(TransactionState.Succeeded, (await App.GetAsync(tradeNo))!.State);
        Assert.Equal("payout.succeeded", Assert.Single(await App.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());

        // Checking a final payout again asks Paypro nothing and changes nothing.
        Assert.Equal(
            "succeeded",
            (await JsonAsync(await App.PostApiAsync($"payouts/{tradeNo}/check"), HttpStatusCode.OK)).GetProperty("state").GetString());
        Assert.Single(Sandbox.Ledger.Requests, r => r.Endpoint == "/api/queryPayOutResult" && r.TradeNo == tradeNo);
        await JsonAsync(await App.PostApiAsync($"payouts/{TestTradeNos.New("NOPE")}/check"), HttpStatusCode.NotFound);
        await JsonAsync(await App.PostApiAsync($"payouts/{Uri.EscapeDataString("bad tradeNo")}/check"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_M_Pesa_receipt_is_looked_up_at_Paypro()
    {
        var tradeNo = await SucceededAsync(TransactionKind.Payout, 130);
        var receipt = Sandbox.Ledger.Find(SandboxTransactionKind.Payout, tradeNo)!.MpesaReceiptNumber;
        Assert.NotNull(receipt);

        var view = await JsonAsync(await App.GetApiAsync($"mpesa/{receipt}"), HttpStatusCode.OK);

        Assert.Equal(receipt, view.GetProperty("code").GetString());
        Assert.Equal("succeeded", view.GetProperty("state").GetString());
        Assert.Equal("0000", view.GetProperty("status").GetString());
        Assert.Equal(tradeNo, view.GetProperty("tradeNo").GetString());
        Assert.Equal("succeeded", view.GetProperty("recordedState").GetString());

        var unknown = await JsonAsync(await App.GetApiAsync("mpesa/ZZZZZZZZZ9"), HttpStatusCode.NotFound);
        Assert.Contains("ZZZZZZZZZ9", unknown.GetProperty("detail").GetString());
        Assert.Single(Sandbox.Ledger.Requests, r => r.Endpoint == "/api/queryResultByCode" && r.Code == "8000");

        var malformed = await JsonAsync(await App.GetApiAsync("mpesa/abc"), HttpStatusCode.BadRequest);
        Assert.Contains("M-Pesa", malformed.GetProperty("detail").GetString());
        Assert.Equal(2, Sandbox.Ledger.Requests.Count(r => r.Endpoint == "/api/queryResultByCode"));
    }

    [Fact]
    public async Task The_balance_comes_from_Paypro_and_moves_with_payouts()
    {
        var before = await JsonAsync(await App.GetApiAsync("balance"), HttpStatusCode.OK);
        var available = before.GetProperty("availableAmount").GetDecimal();
        Assert.Equal(Sandbox.Ledger.Balance.AvailableAmount, available);

        await SucceededAsync(TransactionKind.Payout, 1_000);

        var after = await JsonAsync(await App.GetApiAsync("balance"), HttpStatusCode.OK);
        Assert.Equal(available - 1_000, after.GetProperty("availableAmount").GetDecimal());
        Assert.Equal(Sandbox.Ledger.Balance.AvailableAmount, after.GetProperty("availableAmount").GetDecimal());
    }
}
