using System.Diagnostics;
using Paypro.Functions.Transactions;

namespace Paypro.Load;

/// <summary>
/// "notify": the app's notify against bare endpoints, side by side in one run. A bare endpoint makes the app's storage
/// operations and nothing else (<see cref="BareNotify"/>): the four of the app's finalising notify (read, one batch, the
/// event send, leaving the due index), or three table round trips (read, write, audit insert). The app runs as
/// deployed, its worker under the host emulator, and so do the bare endpoints the budget and the goal compare it with:
/// each the one function of a bare worker under an emulator of its own, so the host's hop is on both sides. The app
/// and the four-operation endpoint also run in this process with no host in front, which tells the hop's cost from
/// the app's own. The same Azurite, the same concurrency, the same bodies, each system for its own copy of the same
/// pending payouts. The systems take turns in rounds (the order rotating), so a slower phase of the machine falls on
/// each alike.
/// </summary>
public sealed class NotifyScenario : IScenario
{
    /// <summary>The app against the bare endpoint making its four operations.</summary>
    private const double Budget = 1.15;

    /// <summary>The app against the bare endpoint making three table round trips: a goal, reported.</summary>
    private const double Goal = 1.4;

    /// <summary>Warm-up rounds: at least this many, and more until the hosted systems' processor time per callback has settled.</summary>
    private const int MinWarmupRounds = 3;

    /// <summary>At most this many warm-up rounds; the report says when they were not enough.</summary>
    private const int MaxWarmupRounds = 16;

    /// <summary>Two warm-up rounds in a row whose processor time per callback is within this share of each other.</summary>
    private const double SettledWithin = 0.10;

    public string Name => "notify";

    public string Title =>
        "notify throughput and latency against bare endpoints making the same four operations, and three table round trips";

    /// <summary>One system under load; <see cref="Host"/> is its emulator and worker when it runs as deployed.</summary>
    private sealed class Target(string name, Uri baseAddress, string pathAndQuery, Stores store, ChildApp? host = null)
    {
        public string Name { get; } = name;
        public Uri BaseAddress { get; } = baseAddress;
        public string PathAndQuery { get; } = pathAndQuery;
        public Stores Store { get; } = store;
        public ChildApp? Host { get; } = host;
        public List<double> Latencies { get; } = [];
        public TimeSpan Elapsed { get; set; }
        public int Requests { get; set; }
        public int NonOk { get; set; }

        /// <summary>Each warm-up round's processor time per callback (hosted systems): everything they did in the round.</summary>
        public List<double> WarmupCpu { get; } = [];

        /// <summary>Processor time during this system's own measured bursts (hosted systems).</summary>
        public TimeSpan EmulatorCpu { get; set; }
        public TimeSpan WorkerCpu { get; set; }

        public double Rps => Requests / Math.Max(Elapsed.TotalSeconds, 0.001);
        public double P(double percentile) => Stats.Percentile(Latencies.Order().ToArray(), percentile);
    }

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        await using var environment = await context.StartEnvironmentAsync(
            new EnvironmentOptions { AppUnderEmulator = true },
            cancellationToken);
        var (bare3Prefix, bare4Prefix, toolPrefix, inProcessPrefix) =
            ("B" + environment.Id, "A" + environment.Id, "T" + environment.Id, "P" + environment.Id);
        var bare4Events = "bare-events-" + environment.Id;
        await environment.Queues.GetQueueClient(bare4Events).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var bare3 = await environment.StartBareWorkerAsync(bare3Prefix, eventsQueue: null, cancellationToken);
        await using var bare3Host = bare3.Host;
        var bare4 = await environment.StartBareWorkerAsync(bare4Prefix, bare4Events, cancellationToken);
        await using var bare4Host = bare4.Host;
        await using var inTool = await BaselineServer.StartAsync(
            environment.Azurite,
            toolPrefix,
            eventsQueue: "baseline-events-" + environment.Id,
            cancellationToken);
        // The same app with its function classes in this process, no host in front: what the hosting hop costs.
        var inProcess = await environment.StartInProcessAppAsync(inProcessPrefix, cancellationToken);
        try
        {
            var store = (string prefix) => new Stores(environment.Tables, prefix);
            var app = environment.Child ?? throw new InvalidOperationException("notify runs the app under the host emulator.");
            var barePath = "/api/" + BareNotify.Route + "?code=" + LoadEnvironment.FunctionKey;
            Target[] targets =
            [
                new("baseline, 3 table round trips", bare3.BaseAddress, barePath, store(bare3Prefix), bare3Host),
                new("baseline, the same 4 operations", bare4.BaseAddress, barePath, store(bare4Prefix), bare4Host),
                new("app", environment.BaseAddress, environment.NotifyPathAndQuery, environment.Store, app),
                new(
                    "baseline, the same 4 operations, in the tool's process (no host in front)",
                    inTool.BaseAddress,
                    BaselineServer.Path,
                    store(toolPrefix)),
                new(
                    "app in the tool's process (no host in front)",
                    new Uri(inProcess.Urls.Single()),
                    environment.NotifyPathAndQuery,
                    store(inProcessPrefix)),
            ];
            await MeasureAsync(context, environment, targets, cancellationToken);
        }
        finally
        {
            await Loopback.StopServerAsync(inProcess);
        }
    }

    private async Task MeasureAsync(
        ScenarioContext context,
        LoadEnvironment environment,
        Target[] targets,
        CancellationToken cancellationToken)
    {
        var report = context.Report;
        var count = context.Count(2000, 40);
        var concurrency = context.Concurrency(64, 8);
        var rounds = context.Smoke ? 2 : 4;
        var warmChunk = Math.Max(8, count / 10);
        var (minWarmup, maxWarmup) = context.Smoke ? (1, 1) : (MinWarmupRounds, MaxWarmupRounds);
        var hosted = targets.Where(t => t.Host is not null).ToArray();

        // Each system gets its own copy of the same pending payouts (the same tradeNos, in its own tables), so the
        // same bodies apply once to each. Seeding goes through the app's store: the same entities everywhere.
        var seedClock = Stopwatch.StartNew();
        var measured = await SeedAsync(environment, targets, "N", count, cancellationToken);
        Console.WriteLine(
            $"  seed: {count} pending payouts for each of {targets.Length} systems " +
            $"in {Stats.Seconds(seedClock.Elapsed)} (setup, not measured)");

        var clients = targets.ToDictionary(t => t, t => Workload.LoopbackClient(t.BaseAddress, concurrency));
        var applied = 0;
        try
        {
            // Warm-up (not measured): connections, Azurite's caches, and the JIT. A worker is a process of its own, so
            // it compiles its code apart from the tool's (the systems in this process share theirs), and it keeps
            // compiling for a thousand callbacks and more: its hot methods go from ReadyToRun or tier 0 through an
            // instrumented tier to tier 1, on background threads that take their share of the processors. Rounds go on
            // until every hosted system's processor time per callback has settled: two rounds in a row within 10%.
            for (var round = 0; round < maxWarmup; round++)
            {
                var bodies = await SeedAsync(environment, targets, $"W{round:D2}", warmChunk, cancellationToken);
                var before = hosted.Select(t => Total(t.Host!.ProcessorTime())).ToArray();
                foreach (var target in Rotated(targets, round))
                {
                    var warm = await Workload.PostBurstAsync(clients[target], target.PathAndQuery, bodies, concurrency, cancellationToken);
                    if (warm.NonOk > 0)
                    {
                        throw new LoadSetupException(
                            $"{target.Name} answered {warm.NonOk} of {warmChunk} warm-up callbacks with something else than OK: " +
                            $"{string.Join("; ", warm.Failures)}");
                    }
                }
                applied += warmChunk;
                for (var i = 0; i < hosted.Length; i++)
                {
                    hosted[i].WarmupCpu.Add(PerCallback(Total(hosted[i].Host!.ProcessorTime()) - before[i], warmChunk));
                }
                if (round + 1 >= minWarmup && hosted.All(t => Settled(t.WarmupCpu)))
                {
                    break;
                }
            }

            var chunk = (measured.Length + rounds - 1) / rounds;
            for (var round = 0; round < rounds; round++)
            {
                var slice = measured.Skip(round * chunk).Take(chunk).ToArray();
                // The order rotates each round, so no system always runs first, or right after the same other.
                foreach (var target in Rotated(targets, round))
                {
                    var before = target.Host?.ProcessorTime();
                    var burst = await Workload.PostBurstAsync(clients[target], target.PathAndQuery, slice, concurrency, cancellationToken);
                    if (target.Host is { } host)
                    {
                        var after = host.ProcessorTime();
                        target.EmulatorCpu += after.Emulator - before!.Value.Emulator;
                        target.WorkerCpu += after.Worker - before.Value.Worker;
                    }
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
            applied += count;
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
        var settled = hosted.All(t => Settled(t.WarmupCpu));
        report.Add(Name, "warm-up",
            $"{hosted[0].WarmupCpu.Count} round(s) of {warmChunk} callbacks for each system; processor time per callback " +
            "(emulator and worker), round by round: " +
            string.Join("; ", hosted.Select(t => $"{t.Name}: {string.Join(", ", t.WarmupCpu.Select(Ms))}")),
            note: context.Smoke ? "a smoke run: one round, not waiting for the compiling to settle"
                : settled
                    ? $"until every hosted system's last two rounds were within {SettledWithin * 100:0}% of each other; compiling included"
                    : $"not settled after {maxWarmup} rounds: the ratios below still include some of a worker's compiling");
        report.Add(Name, "processor time per callback, measured rounds",
            string.Join("; ", hosted.Select(t =>
                $"{t.Name}: {Ms(PerCallback(t.EmulatorCpu + t.WorkerCpu, t.Requests))} " +
                $"(the emulator {Ms(PerCallback(t.EmulatorCpu, t.Requests))}, the worker {Ms(PerCallback(t.WorkerCpu, t.Requests))})")),
            note: "during each system's own bursts; the emulator is the Functions host's stand-in: it takes the request, proxies " +
                "it to the worker's Kestrel and invokes the function over gRPC; the worker runs the function");

        var (bare3, bare4, app, bare4InTool, appInTool) = (targets[0], targets[1], targets[2], targets[3], targets[4]);
        var ratio = bare4.Rps / app.Rps;
        report.Budget(Name, "cost ratio, app / baseline making the same 4 operations",
            $"{Stats.Number(ratio, "0.00")}x by throughput; " +
            $"p50 {Stats.Number(app.P(50) / bare4.P(50), "0.00")}x, p99 {Stats.Number(app.P(99) / bare4.P(99), "0.00")}x",
            $"<= {Budget:0.00}x", ratio <= Budget, judged: !context.Smoke,
            note: "both under the host emulator; the baseline: read, one batch (record, revision, outbox row, audit row), " +
                "the event send, the due entry removed");
        var goal = bare3.Rps / app.Rps;
        report.Budget(Name, "cost ratio, app / baseline making 3 table round trips (goal)",
            $"{Stats.Number(goal, "0.00")}x by throughput; " +
            $"p50 {Stats.Number(app.P(50) / bare3.P(50), "0.00")}x, p99 {Stats.Number(app.P(99) / bare3.P(99), "0.00")}x",
            $"<= {Goal:0.00}x", goal <= Goal, judged: !context.Smoke,
            note: goal <= Goal || context.Smoke
                ? "both under the host emulator; a goal: the app also sends its event and leaves the due index, which this " +
                    "baseline does not"
                : "missed: the app sends its event to the queue and takes the transaction out of the due index inside the " +
                    "invocation; this baseline does neither");
        report.Add(Name, "cost ratios with no host in front",
            "app / baseline making the same 4 operations, both in the tool's process: " +
            $"{Stats.Number(bare4InTool.Rps / appInTool.Rps, "0.00")}x; " +
            $"the host's hop (under the emulator / in the tool's process): the app {Stats.Number(appInTool.Rps / app.Rps, "0.00")}x, " +
            $"the baseline {Stats.Number(bare4InTool.Rps / bare4.Rps, "0.00")}x",
            note: "informational: the app's own cost apart from the hop, and what the hop costs each (the emulator proxies each " +
                "request to the worker's own Kestrel and invokes it over gRPC, as the Functions host does)");
        report.Budget(
            Name,
            "callbacks applied",
            $"{succeeded}/{applied} payouts succeeded; non-OK answers {targets.Sum(t => t.NonOk)}",
            "every callback answered OK and applied",
            succeeded == applied && targets.All(t => t.NonOk == 0));
    }

    /// <summary>
    /// Seeds <paramref name="count"/> pending payouts tagged <paramref name="tag"/> for every system (setup, not
    /// measured) and returns their signed callbacks.
    /// </summary>
    private static async Task<string[]> SeedAsync(
        LoadEnvironment environment,
        IEnumerable<Target> targets,
        string tag,
        int count,
        CancellationToken cancellationToken)
    {
        var tradeNos = Workload.TradeNos(environment, tag, count);
        foreach (var target in targets)
        {
            await Workload.SeedSubmittedAsync(target.Store, tradeNos, DateTimeOffset.UtcNow.AddDays(1), cancellationToken);
        }
        return tradeNos.Select(t => Workload.NotifyBody(environment, t)).ToArray();
    }

    /// <summary>The systems in the order of <paramref name="round"/>: rotated by one each round.</summary>
    private static IEnumerable<Target> Rotated(Target[] targets, int round) =>
        targets.Skip(round % targets.Length).Concat(targets.Take(round % targets.Length));

    private static double PerCallback(TimeSpan processorTime, int callbacks) => processorTime.TotalMilliseconds / Math.Max(callbacks, 1);

    private static TimeSpan Total((TimeSpan Emulator, TimeSpan Worker) processorTime) => processorTime.Emulator + processorTime.Worker;

    private static string Ms(double milliseconds) => Stats.Ms(milliseconds, "0.00");

    /// <summary>The last two rounds' processor time per callback are within <see cref="SettledWithin"/> of each other.</summary>
    private static bool Settled(List<double> perCallback) =>
        perCallback.Count >= 2
        && Math.Abs(perCallback[^1] - perCallback[^2]) <= SettledWithin * Math.Max(perCallback[^1], perCallback[^2]);
}
