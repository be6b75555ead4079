using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Paypro.Functions.Configuration;
using Paypro.Functions.Operations;
using Paypro.Functions.Storage;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Load;

/// <summary>
/// "reconcile": the daily reconciliation of a Kenya day of N payouts (10,000) at the default settings, run after run as the
/// timer would (each run stops at Reconcile:TimeBudget and the next goes on), against a Paypro that answers each query in
/// <see cref="PayproLatency"/>. It measures the time until the day is complete, the query rate and the most queries in flight
/// Paypro sees, and the storage operations per transaction. Budget: complete within an hour of the night window's first run
/// (runs every 5 minutes), and never more queries in flight than Reconcile:MaxConcurrency.
/// </summary>
public sealed class ReconcileScenario : IScenario
{
    /// <summary>How long Paypro takes to answer a status query here: an assumption, as Paypro publishes none.</summary>
    public static readonly TimeSpan PayproLatency = TimeSpan.FromMilliseconds(100);

    /// <summary>The interval of the default ReconcileSchedule (every 5 minutes of the night window).</summary>
    private static readonly TimeSpan ScheduleInterval = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan Budget = TimeSpan.FromHours(1);

    public string Name => "reconcile";

    public string Title => "reconciling a Kenya day of payouts with Paypro at the default settings";

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var count = context.Count(10_000, 200);
        var defaults = new ReconcileOptions();
        var counter = new StorageCounter();
        var meter = new PayproCallMeter();
        await using var environment = await context.StartEnvironmentAsync(
            new EnvironmentOptions { StorageCounter = counter, Queries = meter },
            cancellationToken);
        var sandbox = environment.Sandbox;
        sandbox.Faults.Add(new SandboxFault { Kind = FaultKind.DropCallback, Count = null });

        // 1. Seed: yesterday (Kenya time) N payouts that Paypro executed and the app recorded as succeeded, spread over the day.
        var day = KenyaTime.DayOf(DateTimeOffset.UtcNow).AddDays(-1);
        var tradeNos = Workload.TradeNos(environment, "K", count);
        var seedClock = Stopwatch.StartNew();
        await SeedAsync(environment, day, tradeNos, cancellationToken);
        Console.WriteLine($"  seed: {count} succeeded payouts of Kenya day {day:yyyy-MM-dd} at Paypro and in the app " +
            $"in {Stats.Seconds(seedClock.Elapsed)} (setup, not measured)");

        // 2. Reconcile, run after run, until the day is complete.
        sandbox.Faults.Add(new SandboxFault
        {
            Endpoint = PayproPaths.QueryPayoutResult,
            Kind = FaultKind.Latency,
            Delay = PayproLatency,
            Count = null,
        });
        var reconciliation = environment.App!.Services.GetRequiredService<Reconciliation>();
        var days = environment.App.Services.GetRequiredService<IReconciliationStore>();
        var queriesBefore = meter.Total;
        var maxBefore = meter.MaxInFlight;
        counter.Reset();
        var runs = new List<TimeSpan>();
        ReconciliationProgress? progress = null;
        var clock = Stopwatch.StartNew();
        while (runs.Count < 24 && progress?.Complete != true)
        {
            var run = Stopwatch.StartNew();
            await reconciliation.RunAsync(cancellationToken);
            runs.Add(run.Elapsed);
            progress = await days.GetDayAsync(day, cancellationToken);
        }
        var took = clock.Elapsed;
        var queries = meter.Total - queriesBefore;
        var roundTrips = counter.RoundTrips;
        var entities = counter.EntitiesRead;

        // The timer fires every 5 minutes: the day is complete (runs - 1) intervals after the first run, plus the last run.
        var completeAfter = (runs.Count - 1) * ScheduleInterval + runs[^1];
        var complete = progress?.Complete == true && progress.Agreed == count;
        Console.WriteLine($"  {runs.Count} run(s) ({string.Join(", ", runs.Select(Stats.Seconds))}), {queries} queries, " +
            $"{progress?.Agreed} agreed, " +
            $"{progress?.Disagreed} disagreed, {progress?.NotChecked} not checked; {counter.DescribeRequests()}");
        report.Budget(
            Name,
            "day of transactions complete",
            $"{count.ToString("N0", CultureInfo.InvariantCulture)} in {runs.Count} run(s), {Stats.Seconds(took)} of running; " +
                $"complete {Minutes(completeAfter)} after the first run",
            "within 1 hour of the night window's first run (a run every 5 minutes)",
            complete && completeAfter <= Budget,
            judged: !context.Smoke,
            note: $"Reconcile:TimeBudget {defaults.TimeBudget:c}, Reconcile:MaxConcurrency {defaults.MaxConcurrency}; " +
                $"Paypro answers a query in {PayproLatency.TotalMilliseconds:0} ms (assumed)");
        report.Budget(
            Name,
            "most queries in flight at Paypro",
            meter.MaxInFlight.ToString(CultureInfo.InvariantCulture),
            $"at most Reconcile:MaxConcurrency ({defaults.MaxConcurrency})",
            meter.MaxInFlight <= defaults.MaxConcurrency && maxBefore == 0);
        report.Budget(
            Name,
            "queries per transaction",
            (queries / (double)count).ToString("0.00", CultureInfo.InvariantCulture),
            "1 (one status query each)",
            queries == count);
        report.Add(
            Name,
            "query rate Paypro sees",
            $"{Stats.Number(queries / Math.Max(runs.Sum(r => r.TotalSeconds), 0.001))} /s over the running time");
        report.Add(
            Name,
            "storage round trips per transaction",
            (roundTrips / (double)count).ToString("0.00", CultureInfo.InvariantCulture),
            note: $"entities read per transaction {(entities / (double)count).ToString("0.00", CultureInfo.InvariantCulture)}; " +
                $"{counter.DescribeRequests()}");
    }

    private static string Minutes(TimeSpan span) => $"{span.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture)} min";

    /// <summary>
    /// Each payout executed at Paypro (the sandbox, immediately successful, no callback) and recorded by the app as succeeded with
    /// Paypro's id, created at its time of <paramref name="day"/>, with its creation-index row: what the pipeline leaves. Setup,
    /// not measured.
    /// </summary>
    private static async Task SeedAsync(LoadEnvironment environment, DateOnly day, string[] tradeNos, CancellationToken cancellationToken)
    {
        await using var paypro = SandboxPayproClient.For(environment.Sandbox, requestTimeout: TimeSpan.FromSeconds(30));
        var start = KenyaTime.StartOf(day);
        var step = TimeSpan.FromDays(1) / tradeNos.Length;
        var createdAt = tradeNos
            .Select((t, i) => (TradeNo: t, At: start + step * i))
            .ToDictionary(x => x.TradeNo, x => x.At, StringComparer.Ordinal);
        var due = environment.Tables.GetTableClient(environment.DueTable);
        // A batch covers one partition: the creation-index rows go in by partition, 100 at a time.
        var chunks = tradeNos.GroupBy(environment.Store.Partitions.PartitionOf).SelectMany(g => g.Chunk(100));
        await Parallel.ForEachAsync(
            chunks,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (chunk, token) => await due.SubmitTransactionAsync(
                chunk.Select(tradeNo => new TableTransactionAction(
                    TableTransactionActionType.Add,
                    DueIndex.NewTransactionRows(
                        environment.Store.Partitions.PartitionOf(tradeNo),
                        tradeNo,
                        TransactionKind.Payout,
                        createdAt[tradeNo],
                        createdAt[tradeNo]).Created)),
                token));
        await Parallel.ForEachAsync(
            tradeNos,
            new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (tradeNo, token) =>
            {
                var created = await paypro.Client.CreatePayoutAsync(
                    new PayoutCreateOptions
                    {
                        TradeNo = tradeNo,
                        Amount = Workload.Amount,
                        Mobile = TestMobiles.ImmediateSuccess,
                        Remark = "load",
                    },
                    token);
                if (created.Outcome != PayproOutcome.Accepted)
                {
                    throw new LoadSetupException(
                        $"Paypro (the sandbox) answered {created.Outcome} ({created.Code} {created.Msg}) to seeding {tradeNo}.");
                }
                var at = createdAt[tradeNo];
                var record = Workload.SubmittedRecord(
                    tradeNo,
                    at,
                    mobile: TestMobiles.ImmediateSuccess,
                    partition: environment.Store.Partitions.PartitionOf(tradeNo));
                record.State = TransactionState.Succeeded;
                record.PayproStatus = "0000";
                record.SerialNumber = created.SerialNumber;
                record.PlatFormTradeNo = created.SerialNumber;
                record.FinalAt = at;
                var written = await environment.Store.Transactions.WriteAsync(
                    record,
                    isNew: true,
                    "seed",
                    "seeded by the load tool",
                    at,
                    null,
                    null,
                    token);
                if (written.Outcome != WriteOutcome.Written)
                {
                    throw new LoadSetupException($"Seeding {tradeNo} found it written already.");
                }
            });
    }
}
