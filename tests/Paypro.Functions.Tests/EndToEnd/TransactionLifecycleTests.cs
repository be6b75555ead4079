using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>Payouts and payins from the queue to a final state: through the callback, through polling, failed, and slow.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TransactionLifecycleTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_queued_payin_is_created_once_and_succeeds_through_the_signed_callback()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("PI");

        await app.EnqueuePayinAsync(tradeNo, amount: 275, mobile: "0712345600");

        var record = await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        Assert.Equal(TransactionKind.Payin, record.Kind);
        Assert.Equal(275, record.Amount);
        Assert.Equal("0000", record.PayproStatus);
        var entry = Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        Assert.Equal(SandboxTransactionKind.Payin, entry.Kind);
        Assert.Equal(TestMobiles.Success, entry.Mobile);
        Assert.Equal(entry.PlatFormTradeNo, record.PlatFormTradeNo);
        Assert.Equal("/api/payin", Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo)).Endpoint);
        Assert.StartsWith("callback", (await app.ChangeToAsync(tradeNo, TransactionState.Succeeded)).Detail);
        var succeeded = Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1));
        Assert.Equal("payin.succeeded", succeeded.GetProperty("type").GetString());
        Assert.Equal("payin", succeeded.GetProperty("kind").GetString());
        Assert.Equal(275, succeeded.GetProperty("amount").GetInt64());
        Assert.Equal("c-" + tradeNo, succeeded.GetProperty("metadata").GetProperty("correlationId").GetString());
    }

    [Theory]
    [InlineData(TransactionKind.Payout)]
    [InlineData(TransactionKind.Payin)]
    public async Task With_every_callback_dropped_polling_brings_the_result(TransactionKind kind)
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("DROP");
        sandbox.DropCallbacks(kind, tradeNo);

        await app.EnqueueAsync(kind, tradeNo);
        await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);
        await Eventually.UntilAsync(
            () => sandbox.Callbacks.Any(c => c.TradeNo == tradeNo && c.Status == "0000" && c.State == CallbackState.Dropped),
            "Paypro decided the result and its callback was dropped");
        Assert.Equal(TransactionState.Submitted, (await app.GetAsync(tradeNo))!.State);
        Assert.Empty(await app.EventsForAsync(tradeNo));

        var record = await app.PollUntilAsync(tradeNo, TransactionState.Succeeded);

        Assert.Equal("0000", record.PayproStatus);
        Assert.StartsWith("query", (await app.ChangeToAsync(tradeNo, TransactionState.Succeeded)).Detail);
        Assert.Contains(sandbox.Ledger.Requests, r => r.Endpoint == TransactionKinds.QueryPath(kind) && r.TradeNo == tradeNo);
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        Assert.DoesNotContain(sandbox.CallbackAttempts, a => a.TradeNo == tradeNo);
        var succeeded = Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1));
        Assert.Equal(kind.ToWire() + ".succeeded", succeeded.GetProperty("type").GetString());
    }

    // Each kind and each failure status once: which status fails a transaction is a rule, checked in
    // TransactionRulesTests (One_mapping_from_Paypro_status_to_state); this checks that a failure reaches the record
    // and the event with Paypro's status and words.
    [Theory]
    [InlineData(TransactionKind.Payout, TestMobiles.Rejected, "00029", "REJECTED_TRANSACTION")]
    [InlineData(TransactionKind.Payin, TestMobiles.InsufficientBalance, "00031", "INSUFFICIENT_BALANCE")]
    public async Task A_failure_is_recorded_and_announced_with_Paypros_status_and_message(
        TransactionKind kind,
        string mobile,
        string status,
        string message)
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("F");

        await app.EnqueueAsync(kind, tradeNo, mobile: mobile);

        var record = await app.WaitForStateAsync(tradeNo, TransactionState.Failed);
        Assert.Equal(status, record.PayproStatus);
        Assert.Equal(message, record.PayproMessage);
        Assert.Contains(status, record.Reason);
        Assert.Contains(message, record.Reason);
        // Paypro executed it and said no: the money did not move, but the tradeNo is spent at Paypro.
        Assert.False(record.NotSent);
        var entry = Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        Assert.Equal(status, entry.Status);
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        var failed = Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1));
        Assert.Equal(kind.ToWire() + ".failed", failed.GetProperty("type").GetString());
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Equal(status, failed.GetProperty("payproStatus").GetString());
        Assert.Equal(message, failed.GetProperty("payproMessage").GetString());
        Assert.False(failed.GetProperty("notSent").GetBoolean());
    }

    [Theory]
    [InlineData(TransactionKind.Payout)]
    [InlineData(TransactionKind.Payin)]
    public async Task A_transaction_that_stays_processing_is_followed_up_and_succeeds_later(TransactionKind kind)
    {
        // Mobile ending 13 stays "0015 processing" for LongProcessingDelay (at the harness's time scale of 1/1000: 4 s).
        var processingTime = TimeSpan.FromSeconds(4);
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = processingTime * 1000);
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("SLOW");

        await app.EnqueueAsync(kind, tradeNo, mobile: TestMobiles.LongProcessing);
        await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);

        // A poll finds it processing at Paypro; that is recorded, but it is not a result to announce.
        var processing = await app.PollUntilAsync(tradeNo, TransactionState.Processing);
        Assert.Equal("0015", processing.PayproStatus);
        Assert.Equal("0015", sandbox.Ledger.Find(TransactionKinds.InSandbox(kind), tradeNo)!.Status);
        Assert.Empty(await app.EventsForAsync(tradeNo));

        // The sandbox shares the app's clock: skipping its processing time completes the payout, which Paypro then announces.
        app.Clock.Skip(processingTime);
        var record = await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);

        Assert.Equal("0000", record.PayproStatus);
        Assert.Equal(
            [
                TransactionState.Submitting.ToWire(),
                TransactionState.Submitted.ToWire(),
                TransactionState.Processing.ToWire(),
                TransactionState.Succeeded.ToWire(),
            ],
            (await app.StateChangesAsync(tradeNo)).Select(h => h.Verdict).ToArray());
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        var succeeded = Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1));
        Assert.Equal(kind.ToWire() + ".succeeded", succeeded.GetProperty("type").GetString());
    }
}
