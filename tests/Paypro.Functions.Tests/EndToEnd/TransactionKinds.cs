using System.Text.Json;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// What differs between a payout and a payin in an end-to-end test: the queue, the Paypro path, the sandbox's ledger space.
/// </summary>
internal static class TransactionKinds
{
    public static Task EnqueueAsync(
        this PayproAppHarness app,
        TransactionKind kind,
        string tradeNo,
        long amount = 120,
        string mobile = TestMobiles.Success) =>
        kind == TransactionKind.Payout ? app.EnqueuePayoutAsync(tradeNo, amount, mobile) : app.EnqueuePayinAsync(tradeNo, amount, mobile);

    public static string CreatePath(TransactionKind kind) => kind == TransactionKind.Payout ? "/api/payout" : "/api/payin";

    public static string QueryPath(TransactionKind kind) =>
        kind == TransactionKind.Payout ? "/api/queryPayOutResult" : "/api/queryPayinResult";

    public static SandboxTransactionKind InSandbox(TransactionKind kind) =>
        kind == TransactionKind.Payout ? SandboxTransactionKind.Payout : SandboxTransactionKind.Payin;

    /// <summary>Every callback for <paramref name="tradeNo"/> is never sent, so only polling can bring its result.</summary>
    public static void DropCallbacks(this SandboxHost sandbox, TransactionKind kind, string tradeNo) =>
        sandbox.Faults.Add(new SandboxFault
        {
            Endpoint = CreatePath(kind),
            TradeNo = tradeNo,
            Kind = FaultKind.DropCallback,
            Count = null,
        });

    /// <summary>A new payout that Paypro keeps processing (no result of its own), once the app has submitted it: its tradeNo.</summary>
    public static async Task<string> SubmittedPayoutAsync(this PayproAppHarness app, string prefix, long amount = 120)
    {
        var tradeNo = TestTradeNos.New(prefix);
        await app.EnqueuePayoutAsync(tradeNo, amount, mobile: TestMobiles.LongProcessing);
        await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);
        return tradeNo;
    }

    /// <summary>
    /// Makes Paypro's query channel known good, as on a deployment that has had answers: a payout whose callbacks never
    /// come, found by a poll's status query. Only then may "not found" fail a transaction as never sent. Returns its tradeNo.
    /// </summary>
    public static async Task<string> ProveQueryChannelAsync(this PayproAppHarness app)
    {
        var tradeNo = TestTradeNos.New("CH");
        app.Sandbox.DropCallbacks(TransactionKind.Payout, tradeNo);
        await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.LongProcessing);
        await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);
        app.Clock.Skip(PayproAppHarness.MaxBackoff);
        await app.PollAsync();
        Assert.NotNull((await app.UncountedOperations.GetQueryChannelMarkAsync(CancellationToken.None))?.FoundAt);
        return tradeNo;
    }

    /// <summary>The state-change rows of a transaction (category "state"), oldest first.</summary>
    public static async Task<IReadOnlyList<HistoryEntry>> StateChangesAsync(this PayproAppHarness app, string tradeNo) =>
        (await app.UncountedStore.GetHistoryAsync(tradeNo, CancellationToken.None)).Where(h => h.Category == "state").ToList();

    /// <summary>The one revision that moved the transaction to <paramref name="state"/>.</summary>
    public static async Task<HistoryEntry> ChangeToAsync(this PayproAppHarness app, string tradeNo, TransactionState state) =>
        Assert.Single(await app.StateChangesAsync(tradeNo), h => h.Verdict == state.ToWire());

    /// <summary>Waits for <paramref name="count"/> events, then checks for a while that no more arrive.</summary>
    public static async Task<IReadOnlyList<JsonElement>> ExactlyEventsAsync(this PayproAppHarness app, string tradeNo, int count)
    {
        await app.WaitForEventsAsync(tradeNo, count);
        await Eventually.HoldsForAsync(async () => (await app.EventsForAsync(tradeNo)).Count == count,
            $"exactly {count} event(s) for {tradeNo}", TimeSpan.FromMilliseconds(400));
        return await app.EventsForAsync(tradeNo);
    }
}
