using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Paypro.Functions.Configuration;
using Paypro.Functions.Storage;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Load;

/// <summary>
/// "catch-up": every callback is dropped, and N payouts are pending in the app although Paypro has finished them
/// all. The app then runs with the default poll settings (schedule every minute, the default concurrency, batch
/// and time budget): how long until the poller alone has brought every one to its final state, at what query rate
/// does Paypro see it, and does it stay within the documented concurrency ceiling (Poll__MaxConcurrency)? The app
/// runs as deployed (its worker under the host emulator); its queries are metered by a proxy in front of Paypro.
/// </summary>
public sealed class CatchUpScenario : IScenario
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(10);
    private const string DefaultSchedule = "0 */1 * * * *";

    public string Name => "catch-up";

    public string Title => "the poller alone brings pending payouts to final once Paypro has finished them, at the default settings";

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var count = context.Count(10_000, 40);
        var timeout = context.Timeout(Budget + TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1));
        var ceiling = new PollOptions().MaxConcurrency;
        await using var environment = await context.StartEnvironmentAsync(new EnvironmentOptions
        {
            AppUnderEmulator = true,
            // Paypro finishes each payout 2 s after it is created.
            Sandbox = sandbox => sandbox.SuccessDelay = TimeSpan.FromSeconds(2),
        }, cancellationToken);
        var sandbox = environment.Sandbox;
        sandbox.Faults.Add(new SandboxFault { Kind = FaultKind.DropCallback, Count = null });

        // 1. Seed: N payouts that Paypro has accepted, finishes 2 s later and calls back about none, and in the app
        // the state its submit path leaves for each (a submitted record; a due entry and a creation-index row). The
        // pipeline is measured in "pipeline"; here it would only make seeding slow (Azurite scans the due partition
        // on each insert, which makes one payout at a time through the app quadratic in N).
        var tradeNos = Workload.TradeNos(environment, "C", count);
        var seedClock = Stopwatch.StartNew();
        await SeedAsync(environment, tradeNos, cancellationToken);
        await Eventually.UntilAsync(
            () => sandbox.Ledger.Entries.Count(e => e.CompletedAt is not null) >= count,
            "Paypro (the sandbox) finished the seeded payouts",
            TimeSpan.FromMinutes(2));
        var finishedAt = sandbox.Ledger.Entries.Max(e => e.CompletedAt!.Value);
        Console.WriteLine(
            $"  seed: {count} payouts accepted by Paypro and recorded as submitted, finished by Paypro, no callback delivered " +
            $"({sandbox.Callbacks.Count(c => c.State == CallbackState.Dropped)} dropped), " +
            $"in {Stats.Seconds(seedClock.Elapsed)} (setup, not measured)");

        // 2. The app again, at the default poll settings, its Paypro calls through a metering proxy: the worker is a
        // process of its own, so the queries in flight are counted where they cross to Paypro.
        await environment.StopAppAsync();
        await using var meter = await PayproProxy.StartAsync(sandbox.BaseUrl, cancellationToken);
        var schedule = context.Smoke ? "* * * * * *" : DefaultSchedule;
        var queriesBefore = sandbox.Ledger.Requests.Count;
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        await environment.StartAppAsync(cancellationToken, new Dictionary<string, string?>
        {
            ["PollSchedule"] = schedule,
            ["Paypro:RequestTimeout"] = null,
            ["Paypro:BaseUrl"] = meter.BaseUrl.AbsoluteUri,
        });
        TimeSpan? done = null;
        var poll = context.Smoke ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(2);
        var nextReport = TimeSpan.FromSeconds(30);
        while (clock.Elapsed < timeout)
        {
            // Cheap: one entity at most. A final payout whose event is out has left the due index.
            if ((await environment.Store.Due.GetDueAsync(DateTimeOffset.UtcNow.AddYears(10), 1, cancellationToken)).Entries.Count == 0)
            {
                done = clock.Elapsed;
                break;
            }
            if (clock.Elapsed > nextReport)
            {
                Console.WriteLine(
                    $"  {Stats.Seconds(clock.Elapsed)}: {sandbox.Ledger.Requests.Count - queriesBefore} queries so far, " +
                    $"at most {meter.MaxInFlight} at once");
                nextReport += TimeSpan.FromSeconds(30);
            }
            await Task.Delay(poll, cancellationToken);
        }
        var records = await Workload.ScanRecordsAsync(environment, cancellationToken);
        var final = tradeNos.Count(t => records.TryGetValue(t, out var r) && r.State == TransactionState.Succeeded);
        var queries = sandbox.Ledger.Requests.Skip(queriesBefore).Where(r => r.Endpoint == "/api/queryPayOutResult").ToList();
        var span = queries.Count > 1 ? queries[^1].ReceivedAt - queries[0].ReceivedAt : TimeSpan.Zero;
        var peak = queries.GroupBy(q => q.ReceivedAt.ToUnixTimeSeconds()).Select(g => g.Count()).DefaultIfEmpty(0).Max();
        var firstQuery = queries.Count > 0 ? queries[0].ReceivedAt - started : (TimeSpan?)null;

        var settings = context.Smoke
            ? $"schedule '{schedule}' (a smoke run does not wait for the minute)"
            : $"the defaults: schedule '{schedule}', MaxConcurrency {ceiling}, " +
                $"BatchSize {new PollOptions().BatchSize}, TimeBudget {new PollOptions().TimeBudget}";
        report.Budget(Name, "time until all final", done is { } elapsed
                ? $"{Stats.Seconds(elapsed)} for {final}/{count} from the app's start " +
                    $"({Stats.Seconds(started - finishedAt)} after Paypro had finished them; " +
                    $"first query after {(firstQuery is { } f ? Stats.Seconds(f) : "n/a")})"
                : $"{final}/{count} final after {Stats.Seconds(timeout)}",
            $"<= {Budget.TotalMinutes:0} min", done is { } d && d <= Budget && final == count, judged: !context.Smoke, note: settings);
        report.Add(Name, "query rate Paypro sees",
            $"{queries.Count} queries in {Stats.Seconds(span)}: " +
            $"{Stats.Number(queries.Count / Math.Max(span.TotalSeconds, 0.001))} /s on average, " +
            $"{peak} in the busiest second");
        report.Budget(
            Name,
            "queries in flight at once",
            $"at most {meter.MaxInFlight} (of {meter.Total} attempts)",
            $"<= Poll__MaxConcurrency ({ceiling})",
            meter.MaxInFlight <= ceiling && final == count);
    }

    private static async Task SeedAsync(LoadEnvironment environment, string[] tradeNos, CancellationToken cancellationToken)
    {
        const string mobile = TestMobiles.Success;
        await using var paypro = SandboxPayproClient.For(environment.Sandbox, requestTimeout: TimeSpan.FromSeconds(30));
        var client = paypro.Client;
        var notifyUrl = new Uri(environment.BaseAddress, environment.NotifyPathAndQuery);
        var now = DateTimeOffset.UtcNow;
        var rows = tradeNos.ToDictionary(
            t => t,
            t => DueIndex.NewTransactionRows(
                environment.Store.Partitions.PartitionOf(t),
                t,
                TransactionKind.Payout,
                now,
                now.AddSeconds(1)),
            StringComparer.Ordinal);
        // The due entries first, as the submit path writes them, so each record knows its entry's version.
        var dueETags = new Dictionary<string, ETag>(StringComparer.Ordinal);
        var due = environment.Tables.GetTableClient(environment.DueTable);
        // A batch covers one partition: the rows go in by partition, 50 transactions at a time.
        foreach (var chunk in tradeNos.GroupBy(t => rows[t].Entry.Partition).SelectMany(g => g.Chunk(50)))
        {
            var response = await due.SubmitTransactionAsync(chunk.SelectMany(t => new[]
            {
                new TableTransactionAction(TableTransactionActionType.Add, rows[t].Due),
                new TableTransactionAction(TableTransactionActionType.Add, rows[t].Created),
            }), cancellationToken);
            for (var i = 0; i < chunk.Length; i++)
            {
                dueETags[chunk[i]] = response.Value[2 * i].Headers.ETag ?? default;
            }
        }
        await Parallel.ForEachAsync(
            tradeNos,
            new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (tradeNo, token) =>
            {
                var created = await client.CreatePayoutAsync(
                    new PayoutCreateOptions
                    {
                        TradeNo = tradeNo,
                        Amount = Workload.Amount,
                        Mobile = mobile,
                        Remark = "load",
                        NotifyUrl = notifyUrl,
                    },
                    token);
                if (created.Outcome != PayproOutcome.Accepted)
                {
                    throw new LoadSetupException(
                        $"Paypro (the sandbox) answered {created.Outcome} ({created.Code} {created.Msg}) to seeding {tradeNo}.");
                }
                var record = Workload.SubmittedRecord(tradeNo, now, dueETags[tradeNo], mobile, rows[tradeNo].Entry.Partition);
                record.SerialNumber = created.SerialNumber;
                await Workload.WriteSeededAsync(environment.Store, record, now, token);
            });
    }
}
