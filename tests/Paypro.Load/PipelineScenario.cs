using System.Diagnostics;
using Azure.Data.Tables;
using Paypro.Functions.Transactions;

namespace Paypro.Load;

/// <summary>
/// "pipeline": N payouts enqueued at once. First N that Paypro keeps processing (no callback, no poll): the rate
/// from enqueued to submitted, and the table round trips (counted on the wire, charged to each payout) and Paypro
/// calls (from the sandbox's request log) each one cost until it was submitted. Then N more that Paypro finishes
/// after a short delay and calls back about: the rate from enqueued to final.
/// </summary>
public sealed class PipelineScenario : IScenario
{
    private const int RoundTripBudget = 4;
    private static readonly TimeSpan PayproProcessing = TimeSpan.FromMilliseconds(500);

    public string Name => "pipeline";

    public string Title => "payouts from enqueued to submitted and to final, with their storage and Paypro calls counted";

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var count = context.Count(2000, 30);
        var timeout = context.Timeout(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(1));
        var counter = new StorageCounter();
        await using var environment = await context.StartEnvironmentAsync(new EnvironmentOptions
        {
            StorageCounter = counter,
            Sandbox = sandbox => sandbox.SuccessDelay = PayproProcessing,
        }, cancellationToken);

        // 1. Until submitted: Paypro keeps these processing for a day, so nothing but the submit path touches them.
        var held = Workload.TradeNos(environment, "P", count);
        counter.Reset();
        var clock = Stopwatch.StartNew();
        var firstEnqueue = DateTimeOffset.UtcNow;
        var enqueued = await Workload.EnqueuePayoutsAsync(
            environment,
            held.Select(t => (t, Workload.HeldMobile)).ToList(),
            cancellationToken);
        await Workload.WaitForRecordsAsync(
            environment,
            records => held.All(t => records.TryGetValue(t, out var r) && r.State != TransactionState.Submitting),
            $"{count} payouts submitted",
            timeout,
            cancellationToken);
        var submittedAt = await RevisionTimesAsync(environment, "submitted", cancellationToken);
        var submitted = held.Count(submittedAt.ContainsKey);
        var lastSubmitted = held.Where(submittedAt.ContainsKey).Select(t => submittedAt[t]).DefaultIfEmpty(firstEnqueue).Max();
        var submitLatencies = held
            .Where(t => submittedAt.ContainsKey(t) && enqueued.ContainsKey(t))
            .Select(t => (submittedAt[t] - enqueued[t]).TotalMilliseconds)
            .Order()
            .ToArray();
        var perPayout = held.Select(counter.RoundTripsOf).ToArray();
        var ledger = environment.Sandbox.Ledger.Requests;
        var creates = ledger
            .Where(r => r.Endpoint == "/api/payout")
            .GroupBy(r => r.TradeNo ?? "")
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var otherCalls = ledger.Count(r => r.Endpoint != "/api/payout");
        var heldSet = held.ToHashSet(StringComparer.Ordinal);
        var callsPerPayout = held.Select(t => creates.GetValueOrDefault(t)).ToArray();
        Console.WriteLine(
            $"  until submitted: {counter.RoundTrips} table round trips ({counter.Unattributed} naming no payout), " +
            $"{counter.EntitiesRead} entities read, " +
            $"{ledger.Count} requests to Paypro in {Stats.Seconds(clock.Elapsed)}: {counter.DescribeRequests()}");

        var submitSpan = lastSubmitted - firstEnqueue;
        report.Add(
            Name,
            "enqueued to submitted",
            $"{Stats.Number(submitted / Math.Max(submitSpan.TotalSeconds, 0.001))} payouts/s " +
            $"({submitted}/{count} in {Stats.Seconds(submitSpan)}); " +
            $"per payout p50 {Stats.Ms(Stats.Percentile(submitLatencies, 50))}, p99 {Stats.Ms(Stats.Percentile(submitLatencies, 99))}");
        report.Budget(
            Name,
            "Paypro calls per payout until submitted",
            $"min {callsPerPayout.Min()}, max {callsPerPayout.Max()}, total {callsPerPayout.Sum()} for {count} payouts; " +
            $"other Paypro calls {otherCalls}, calls for other tradeNos {creates.Keys.Count(k => !heldSet.Contains(k))}",
            "exactly 1",
            submitted == count && callsPerPayout.All(c => c == 1) && otherCalls == 0);
        report.Budget(
            Name,
            "table round trips per payout until submitted",
            $"max {perPayout.Max()}, mean {Stats.Number(perPayout.Average(), "0.00")} " +
            $"({counter.RoundTrips} in all, {counter.Unattributed} naming no payout)",
            $"<= {RoundTripBudget}",
            submitted == count && perPayout.Max() <= RoundTripBudget && counter.Unattributed == 0);

        // 2. To final: Paypro finishes these after a short delay and calls back.
        var quick = Workload.TradeNos(environment, "Q", count);
        var quickMobile = TestMobiles.Success;
        counter.Reset();
        firstEnqueue = DateTimeOffset.UtcNow;
        enqueued = await Workload.EnqueuePayoutsAsync(environment, quick.Select(t => (t, quickMobile)).ToList(), cancellationToken);
        await Workload.WaitForRecordsAsync(environment, records => quick.All(t => records.TryGetValue(t, out var r) && r.State.IsFinal()),
            $"{count} payouts final", timeout, cancellationToken);
        var finalAt = await RevisionTimesAsync(environment, "succeeded", cancellationToken);
        var finals = quick.Count(finalAt.ContainsKey);
        var lastFinal = quick.Where(finalAt.ContainsKey).Select(t => finalAt[t]).DefaultIfEmpty(firstEnqueue).Max();
        var finalLatencies = quick
            .Where(t => finalAt.ContainsKey(t) && enqueued.ContainsKey(t))
            .Select(t => (finalAt[t] - enqueued[t]).TotalMilliseconds)
            .Order()
            .ToArray();
        var toFinal = quick.Select(counter.RoundTripsOf).ToArray();
        Console.WriteLine($"  until final: {counter.RoundTrips} table round trips: {counter.DescribeRequests()}");
        var finalSpan = lastFinal - firstEnqueue;
        report.Add(
            Name,
            "enqueued to final",
            $"{Stats.Number(finals / Math.Max(finalSpan.TotalSeconds, 0.001))} payouts/s " +
            $"({finals}/{count} succeeded in {Stats.Seconds(finalSpan)}); " +
            $"per payout p50 {Stats.Ms(Stats.Percentile(finalLatencies, 50))}, p99 {Stats.Ms(Stats.Percentile(finalLatencies, 99))}",
            note: $"includes Paypro's own {PayproProcessing.TotalMilliseconds:0} ms of processing in the sandbox and its signed callback");
        report.Add(
            Name,
            "table round trips per payout until final",
            $"max {toFinal.Max()}, mean {Stats.Number(toFinal.Average(), "0.00")} ({counter.RoundTrips} in all)",
            note: "informational: the submit path, then the callback's read and its one batch " +
                "(record, revision, outbox row, audit row), and leaving the due index");
    }

    /// <summary>When each transaction's revision row with <paramref name="state"/> was written, by tradeNo.</summary>
    private static async Task<Dictionary<string, DateTimeOffset>> RevisionTimesAsync(
        LoadEnvironment environment,
        string state,
        CancellationToken cancellationToken)
    {
        var transactions = environment.Tables.GetTableClient(environment.TransactionsTable);
        var times = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await foreach (var entity in transactions.QueryAsync<TableEntity>(
            filter: TableClient.CreateQueryFilter($"RowKey ge {"rev|"} and RowKey lt {"rev}"} and State eq {state}"),
            maxPerPage: 1000,
            select: ["PartitionKey", "At"],
            cancellationToken: cancellationToken))
        {
            if (entity.GetDateTimeOffset("At") is { } at)
            {
                times[entity.PartitionKey] = at;
            }
        }
        return times;
    }
}
