using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Paypro.Functions.Transactions;

namespace Paypro.Load;

/// <summary>
/// "notify": the app's notify against two bare endpoints, side by side in one run: one making the same four operations
/// as the app's finalising notify (read, one batch, the event send, leaving the due index), and one making three table
/// round trips (read, write, audit insert). The same Azurite, the same concurrency, the same bodies, each for its own
/// copy of the same pending payouts. The app runs as deployed: its worker under the host emulator; the same app in this
/// process, with no host in front, runs beside it, to tell the host's hop from the app's own cost. The systems take turns
/// in rounds (the order rotating), so a slower phase of the machine falls on each alike.
/// </summary>
public sealed class NotifyScenario : IScenario
{
    /// <summary>The app against the bare endpoint making its four operations.</summary>
    private const double Budget = 1.15;

    /// <summary>The app against the bare endpoint making three table round trips: a goal, reported.</summary>
    private const double Goal = 1.4;

    public string Name => "notify";

    public string Title =>
        "notify throughput and latency against bare endpoints making the same four operations, and three table round trips";

    private sealed class Target(string name, Uri baseAddress, string pathAndQuery, Stores store)
    {
        public string Name { get; } = name;
        public Uri BaseAddress { get; } = baseAddress;
        public string PathAndQuery { get; } = pathAndQuery;
        public Stores Store { get; } = store;
        public List<double> Latencies { get; } = [];
        public TimeSpan Elapsed { get; set; }
        public int Requests { get; set; }
        public int NonOk { get; set; }
        public double Rps => Requests / Math.Max(Elapsed.TotalSeconds, 0.001);
        public double P(double percentile) => Stats.Percentile(Latencies.Order().ToArray(), percentile);
    }

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        await using var environment = await context.StartEnvironmentAsync(
            new EnvironmentOptions { AppUnderEmulator = true },
            cancellationToken);
        await using var baseline = await BaselineServer.StartAsync(
            environment.Azurite,
            "B" + environment.Id,
            eventsQueue: null,
            cancellationToken);
        await using var announcing = await BaselineServer.StartAsync(
            environment.Azurite,
            "A" + environment.Id,
            eventsQueue: "baseline-events-" + environment.Id,
            cancellationToken);
        // The same app with its function classes in this process, no host in front: what the hosting hop costs.
        var inProcessPrefix = "P" + environment.Id;
        var inProcess = await environment.StartInProcessAppAsync(inProcessPrefix, cancellationToken);
        try
        {
            await MeasureAsync(context, environment, inProcess, inProcessPrefix, baseline, announcing, cancellationToken);
        }
        finally
        {
            await Loopback.StopServerAsync(inProcess);
        }
    }

    private async Task MeasureAsync(ScenarioContext context, LoadEnvironment environment, WebApplication inProcess, string inProcessPrefix,
        BaselineServer baseline, BaselineServer announcing, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var count = context.Count(2000, 40);
        var concurrency = context.Concurrency(64, 8);
        var rounds = context.Smoke ? 2 : 4;
        var warmup = Math.Max(8, count / 10);
        var store = (string prefix) => new Stores(environment.Tables, prefix);
        var (baselinePrefix, announcePrefix) = ("B" + environment.Id, "A" + environment.Id);
        Target[] targets =
        [
            new("baseline, 3 table round trips", baseline.BaseAddress, BaselineServer.Path, store(baselinePrefix)),
            new("baseline, the same 4 operations", announcing.BaseAddress, BaselineServer.Path, store(announcePrefix)),
            new("app", environment.BaseAddress, environment.NotifyPathAndQuery, environment.Store),
            new(
                "app in the tool's process (no host in front)",
                new Uri(inProcess.Urls.Single()),
                environment.NotifyPathAndQuery,
                store(inProcessPrefix)),
        ];

        // Each system gets its own copy of the same pending payouts (the same tradeNos, in its own tables), so the
        // same bodies apply once to each. Seeding goes through the app's store: the same entities everywhere.
        var tradeNos = Workload.TradeNos(environment, "N", warmup + count);
        var seedClock = Stopwatch.StartNew();
        foreach (var target in targets)
        {
            await Workload.SeedSubmittedAsync(target.Store, tradeNos, DateTimeOffset.UtcNow.AddDays(1), cancellationToken);
        }
        var bodies = tradeNos.Select(t => Workload.NotifyBody(environment, t)).ToArray();
        Console.WriteLine(
            $"  seed: {tradeNos.Length} pending payouts for each of {targets.Length} systems " +
            $"in {Stats.Seconds(seedClock.Elapsed)} (setup, not measured)");

        var clients = targets.ToDictionary(t => t, t => Workload.LoopbackClient(t.BaseAddress, concurrency));
        try
        {
            // Warm-up (not measured): connections, JIT, Azurite's caches, for every system.
            foreach (var target in targets)
            {
                var warm = await Workload.PostBurstAsync(
                    clients[target],
                    target.PathAndQuery,
                    bodies[..warmup],
                    concurrency,
                    cancellationToken);
                if (warm.NonOk > 0)
                {
                    throw new LoadSetupException(
                        $"{target.Name} answered {warm.NonOk} of {warmup} warm-up callbacks with something else than OK: " +
                        $"{string.Join("; ", warm.Failures)}");
                }
            }
            var measured = bodies[warmup..];
            var chunk = (measured.Length + rounds - 1) / rounds;
            for (var round = 0; round < rounds; round++)
            {
                var slice = measured.Skip(round * chunk).Take(chunk).ToArray();
                // The order rotates each round, so no system always runs first, or right after the same other.
                foreach (var target in targets.Skip(round % targets.Length).Concat(targets.Take(round % targets.Length)))
                {
                    var burst = await Workload.PostBurstAsync(clients[target], target.PathAndQuery, slice, concurrency, cancellationToken);
                    target.Latencies.AddRange(burst.LatenciesMs);
                    target.Elapsed += burst.Elapsed;
                    target.Requests += slice.Length;
                    target.NonOk += burst.NonOk;
                    foreach (var failure in burst.Failures)
                    {
                        Console.WriteLine($"  {target.Name} non-OK: {failure}");
                    }
                }
            }
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }

        // Every callback the app answered OK changed its payout: none was cut short.
        var records = await Workload.ScanRecordsAsync(environment, cancellationToken);
        var succeeded = records.Values.Count(r => r.State == TransactionState.Succeeded);

        foreach (var target in targets)
        {
            report.Add(Name, target.Name,
                $"{Stats.Number(target.Rps)} /s, p50 {Stats.Ms(target.P(50))}, p99 {Stats.Ms(target.P(99))} " +
                $"({target.Requests} callbacks at concurrency {concurrency}, non-OK {target.NonOk})");
        }
        var (bare, same, app, hostless) = (targets[0], targets[1], targets[2], targets[3]);
        var ratio = same.Rps / app.Rps;
        report.Budget(Name, "cost ratio, app / baseline making the same 4 operations",
            $"{Stats.Number(ratio, "0.00")}x by throughput; " +
            $"p50 {Stats.Number(app.P(50) / same.P(50), "0.00")}x, p99 {Stats.Number(app.P(99) / same.P(99), "0.00")}x",
            $"<= {Budget:0.00}x", ratio <= Budget, judged: !context.Smoke,
            note: "the baseline: read, one batch (record, revision, outbox row, audit row), the event send, the due entry removed");
        var goal = bare.Rps / app.Rps;
        report.Budget(Name, "cost ratio, app / baseline making 3 table round trips (goal)",
            $"{Stats.Number(goal, "0.00")}x by throughput; " +
            $"p50 {Stats.Number(app.P(50) / bare.P(50), "0.00")}x, p99 {Stats.Number(app.P(99) / bare.P(99), "0.00")}x",
            $"<= {Goal:0.00}x", goal <= Goal, judged: !context.Smoke,
            note: goal <= Goal || context.Smoke
                ? "a goal: the app also sends its event and leaves the due index, which this baseline does not"
                : "missed: the app sends its event to the queue and takes the transaction out of the due index inside the invocation; " +
                    "this baseline does neither");
        report.Add(Name, "cost ratios of the app in the tool's process (no host in front)",
            $"{Stats.Number(same.Rps / hostless.Rps, "0.00")}x the baseline making the same 4 operations, " +
            $"{Stats.Number(bare.Rps / hostless.Rps, "0.00")}x the one making 3; " +
            $"the app as deployed / in the tool's process {Stats.Number(hostless.Rps / app.Rps, "0.00")}x by throughput",
            note: "informational: what the host's hop costs (the emulator proxies each request to the worker's own Kestrel " +
                "and invokes it over gRPC, as the Functions host does), apart from what the app's own code costs");
        report.Budget(
            Name,
            "callbacks applied",
            $"{succeeded}/{warmup + count} payouts succeeded; non-OK answers {targets.Sum(t => t.NonOk)}",
            "every callback answered OK and applied",
            succeeded == warmup + count && targets.All(t => t.NonOk == 0));
    }
}
