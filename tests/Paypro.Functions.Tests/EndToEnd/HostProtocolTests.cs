using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// The same SubmitPayout and PollPendingPayouts code, invoked the way the Functions host invokes a custom
/// handler: POST /{FunctionName} with the host's payload and its quirks (see Golden/).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class HostProtocolTests(AzuriteFixture azurite)
{
    /// <summary>A queue invocation as the host sends it: the text in one extra layer of quotes, quoted Id and PopReceipt, DequeueCount as a string.</summary>
    private static string QueueInvocation(string messageText, int dequeueCount, string messageId) => new JsonObject
    {
        ["Data"] = new JsonObject { ["message"] = JsonSerializer.Serialize(messageText) },
        ["Metadata"] = new JsonObject
        {
            ["DequeueCount"] = dequeueCount.ToString(),
            ["ExpirationTime"] = JsonSerializer.Serialize(DateTimeOffset.UtcNow.AddDays(7).ToString("O")),
            ["Id"] = JsonSerializer.Serialize(messageId),
            ["InsertionTime"] = JsonSerializer.Serialize(DateTimeOffset.UtcNow.ToString("O")),
            ["NextVisibleTime"] = JsonSerializer.Serialize(DateTimeOffset.UtcNow.AddMinutes(10).ToString("O")),
            ["PopReceipt"] = JsonSerializer.Serialize("AgAAAAMAAAAAAAAAlP8R5Ntf3AE="),
            ["sys"] = new JsonObject { ["MethodName"] = "SubmitPayout", ["UtcNow"] = DateTimeOffset.UtcNow.ToString("O"), ["RandGuid"] = Guid.NewGuid().ToString() },
        },
    }.ToJsonString();

    private static async Task<JsonElement> InvokeAsync(PayproAppHarness app, string function, string body)
    {
        var response = await app.Http.PostAsync("/" + function, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{function} answered {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        var answer = document.RootElement.Clone();
        Assert.Equal(JsonValueKind.Object, answer.GetProperty("Outputs").ValueKind);
        Assert.Equal(JsonValueKind.Array, answer.GetProperty("Logs").ValueKind);
        Assert.True(answer.TryGetProperty("ReturnValue", out _));
        return answer;
    }

    [Fact]
    public async Task A_payout_submitted_and_polled_through_the_host_protocol_is_paid_once_and_succeeds()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, underHost: true);
        var tradeNo = PayproAppHarness.NewTradeNo("HOST");
        sandbox.DropCallbacks(TransactionKind.Payout, tradeNo);
        var messageId = Guid.NewGuid().ToString();
        var text = PayproAppHarness.PayoutMessage(tradeNo, amount: 140);

        await InvokeAsync(app, "SubmitPayout", QueueInvocation(text, 1, messageId));

        var submitted = await app.GetAsync(tradeNo);
        Assert.Equal(TransactionState.Submitted, submitted!.State);
        Assert.Equal(140, submitted.Amount);
        Assert.Contains(await app.StateChangesAsync(tradeNo), h => h.Detail?.Contains(messageId, StringComparison.Ordinal) == true);
        var entry = Assert.Single(sandbox.Ledger.Entries);
        Assert.Equal(tradeNo, entry.TradeNo);
        Assert.Equal(140, entry.Amount);

        // The host delivers the message again (say its answer was lost): nothing is sent again.
        await InvokeAsync(app, "SubmitPayout", QueueInvocation(text, 2, messageId));
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));

        // The host's timer: each run is one poll, until Paypro's result is in.
        var timer = await File.ReadAllTextAsync(RepositoryPaths.Golden("timer-invocation.json"));
        await Eventually.WaitUntilAsync(async () =>
        {
            await InvokeAsync(app, "PollPendingPayouts", timer);
            return (await app.GetAsync(tradeNo))!.State == TransactionState.Succeeded;
        }, $"{tradeNo} succeeded through host-invoked polls");

        var record = await app.GetAsync(tradeNo);
        Assert.Equal("0000", record!.PayproStatus);
        Assert.StartsWith("query", (await app.ChangeToAsync(tradeNo, TransactionState.Succeeded)).Detail);
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        Assert.Single(sandbox.Ledger.Entries);
        Assert.Equal("payout.succeeded", Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
        // Under the host nothing listens on the queue itself: the host is the trigger.
        Assert.DoesNotContain(app.Logs.Messages, m => m.StartsWith("Self-hosted:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreadable_message_invoked_by_the_host_goes_to_the_poison_queue_and_nothing_is_sent()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, underHost: true);
        const string text = "not json at all";

        await InvokeAsync(app, "SubmitPayout", QueueInvocation(text, 1, Guid.NewGuid().ToString()));

        Assert.Equal([text], await app.PeekAsync(app.PayoutsQueue + "-poison"));
        Assert.Contains(app.Logs.Messages, m => m.StartsWith("PAYPRO_POISON_MESSAGE", StringComparison.Ordinal));
        Assert.Empty(sandbox.Ledger.Requests);
    }
}
