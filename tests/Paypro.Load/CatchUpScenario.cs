using System.Diagnostics;
using Paypro.Functions.Configuration;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Load;

/// <summary>
/// "catch-up": every callback is dropped, and N payouts are pending in the app although Paypro has finished them
/// all. The app then runs with the default poll settings (schedule every minute, the default concurrency, batch
/// and time budget): how long until the poller alone has brought every one to its final state, at what query rate
/// does Paypro see it, and does it stay within the documented concurrency ceiling (Poll__MaxConcurrency)?
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
        var meter = new PayproCallMeter();
        await using var environment = await context.StartEnvironmentAsync(new EnvironmentOptions
        {
            Queries = meter,
            // Paypro finishes each payout 2 s after it is created.
            Sandbox = sandbox => sandbox.SuccessDelay = TimeSpan.FromSeconds(2),
            // While seeding there is no poll, and each payout is due a second after it was submitted.
            AppSettings = new Dictionary<string, string?> { ["Poll:FirstCheckAfter"] = "00:00:01" },
        }, cancellationToken);
        var sandbox = environment.Sandbox;
        sandbox.Faults.Add(new SandboxFault { Kind = FaultKind.DropCallback, Count = null });

        // 1. Seed through the app: N payouts submitted to Paypro, which finishes them and calls back about none.
        var tradeNos = Workload.TradeNos(environment, "C", count);
        var seedClock = Stopwatch.StartNew();
        await Workload.EnqueuePayoutsAsync(environment, tradeNos.Select(t => (t, "254712345600")).ToList(), cancellationToken);
        var seeded = await Workload.WaitForRecordsAsync(environment, records => tradeNos.All(t => records.TryGetValue(t, out var r) && r.State != TransactionState.Submitting),
            $"{count} payouts submitted", context.Options.SeedTimeout, cancellationToken, interval: TimeSpan.FromSeconds(1));
        if (tradeNos.Any(t => seeded[t].State != TransactionState.Submitted))
        {
            throw new LoadSetupException($"Seeding went wrong: records {Workload.DescribeStates(seeded)}; all {count} should be submitted.");
        }
        var finishDeadline = Stopwatch.StartNew();
        while (sandbox.Ledger.Entries.Count(e => e.CompletedAt is not null) < count)
        {
            if (finishDeadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new LoadSetupException("Paypro (the sandbox) did not finish the seeded payouts within 2 minutes.");
            }
            await Task.Delay(200, cancellationToken);
        }
        var finishedAt = sandbox.Ledger.Entries.Max(e => e.CompletedAt!.Value);
        Console.WriteLine($"  seed: {count} payouts submitted, finished by Paypro, no callback delivered ({sandbox.Callbacks.Count(c => c.State == CallbackState.Dropped)} dropped), in {Stats.Seconds(seedClock.Elapsed)} (setup, not measured)");

        // 2. The app again, at the default poll settings.
        await environment.StopAppAsync();
        var schedule = context.Smoke ? "* * * * * *" : DefaultSchedule;
        var queriesBefore = sandbox.Ledger.Requests.Count;
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        await environment.StartAppAsync(cancellationToken, new Dictionary<string, string?>
        {
            ["PollSchedule"] = schedule,
            ["Poll:FirstCheckAfter"] = null,
            ["Paypro:RequestTimeout"] = null,
        });
        TimeSpan? done = null;
        var poll = context.Smoke ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(2);
        var nextReport = TimeSpan.FromSeconds(30);
        while (clock.Elapsed < timeout)
        {
            // Cheap: one entity at most. A final payout whose event is out has left the due index.
            if ((await environment.Store.GetDueAsync(DateTimeOffset.UtcNow.AddYears(10), 1, cancellationToken)).Count == 0)
            {
                done = clock.Elapsed;
                break;
            }
            if (clock.Elapsed > nextReport)
            {
                Console.WriteLine($"  {Stats.Seconds(clock.Elapsed)}: {sandbox.Ledger.Requests.Count - queriesBefore} queries so far, at most {meter.MaxInFlight} at once");
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

        var settings = context.Smoke ? $"schedule '{schedule}' (a smoke run does not wait for the minute)" : $"the defaults: schedule '{schedule}', MaxConcurrency {ceiling}, BatchSize {new PollOptions().BatchSize}, TimeBudget {new PollOptions().TimeBudget}";
        report.Budget(Name, "time until all final", done is { } elapsed
                ? $"{Stats.Seconds(elapsed)} for {final}/{count} from the app's start ({Stats.Seconds(started - finishedAt)} after Paypro had finished them; first query after {(firstQuery is { } f ? Stats.Seconds(f) : "n/a")})"
                : $"{final}/{count} final after {Stats.Seconds(timeout)}",
            $"<= {Budget.TotalMinutes:0} min", done is { } d && d <= Budget && final == count, judged: !context.Smoke, note: settings);
        report.Add(Name, "query rate Paypro sees", $"{queries.Count} queries in {Stats.Seconds(span)}: {Stats.Number(queries.Count / Math.Max(span.TotalSeconds, 0.001))} /s on average, {peak} in the busiest second");
        report.Budget(Name, "queries in flight at once", $"at most {meter.MaxInFlight} (of {meter.Total} attempts)", $"<= Poll__MaxConcurrency ({ceiling})", meter.MaxInFlight <= ceiling && final == count);
    }
}
