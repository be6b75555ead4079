using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Paypro.Functions.Transactions;

namespace Paypro.Load;

/// <summary>
/// "limits": what the money controls' counting costs the pipeline (payouts enqueued at once, until each is submitted),
/// with the app in the tool's process as in "pipeline". Rounds with every limit off alternate with rounds with all four
/// limits set so high that nothing is held, in pairs whose order alternates (medians of each), so the difference is the
/// cost of counting: a share of the Kenya day, the day's pool now and then, and the mobile number's count. Then one round
/// near the limit: Controls:DailyCountLimit at half the round's payouts, where exactly that many must be cleared and the
/// rest held. Each round starts the app again with its settings on tables of its own, so every round starts from empty
/// tables and a fresh day's counts; each pair of rounds, and the round near the limit, has a store (Azurite) of its own.
/// Table round trips are counted on the wire in the app's table client; Paypro calls in the sandbox's request log.
/// </summary>
public sealed class LimitsScenario : IScenario
{
    /// <summary>Rounds of each, limits off and on, in pairs whose order alternates (off, on; on, off; ...).</summary>
    private const int Rounds = 4;
    private const int SmokeRounds = 3;
    private const int RoundTripBudget = 4;

    /// <summary>Limits far above anything a run reaches: every payout is counted, none is held.</summary>
    private const long HighAmount = 1_000_000_000_000;
    private const long HighCount = 1_000_000_000;

    public string Name => "limits";

    public string Title => "the pipeline to submitted with the money controls' limits off against on (set too high to hold anything), "
        + "and a round near the limit";

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var count = context.Count(1000, 20);
        var rounds = context.Smoke ? SmokeRounds : Rounds;
        var timeout = context.Timeout(TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(1));
        var counter = new StorageCounter();
        var runner = new RoundRunner(counter, timeout);
        var warmUp = Math.Max(8, count / 4);
        var off = new List<RoundResult>();
        var on = new List<RoundResult>();
        var limit = count / 2;
        // In a full run each pair of rounds has a store of its own, which lives well under a minute: Azurite's queue service
        // sweeps the messages deleted since its last sweep once a minute, in one pass that stops it answering (for more than a
        // minute after some 8,000 messages on this machine), which a longer-lived store would put into some rounds and not
        // others. A smoke run's few messages keep one store throughout.
        LoadEnvironment? environment = null;
        async Task<LoadEnvironment> StoreAsync(bool fresh)
        {
            if (environment is not null && !fresh)
            {
                return environment;
            }
            if (environment is not null)
            {
                await environment.DisposeAsync();
                environment = null;
            }
            return environment = await context.StartEnvironmentAsync(
                new EnvironmentOptions { StorageCounter = counter, StartApp = false },
                cancellationToken);
        }
        RoundResult near;
        try
        {
            for (var pair = 0; pair < rounds; pair++)
            {
                var store = await StoreAsync(fresh: !context.Smoke);
                if (!context.Smoke)
                {
                    // Warm-up (not measured): Azurite's own code and connections; the first time also the app's code on both paths.
                    if (pair == 0)
                    {
                        await runner.RunAsync(store, "warm-up, limits off", warmUp, Limits(null), cancellationToken);
                    }
                    await runner.RunAsync(store, "warm-up, limits on", warmUp, Limits(HighCount), cancellationToken);
                }
                // off, on; on, off; off, on; ...: a slower phase of the machine, or the second place on a store, falls on both alike.
                foreach (var limitsOn in pair % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var result = await runner.RunAsync(
                        store,
                        limitsOn ? "limits on" : "limits off",
                        count,
                        limitsOn ? Limits(HighCount) : Limits(null),
                        cancellationToken);
                    (limitsOn ? on : off).Add(result);
                }
            }
            var nearStore = await StoreAsync(fresh: !context.Smoke);
            if (!context.Smoke)
            {
                await runner.RunAsync(nearStore, "warm-up, limits on", warmUp, Limits(HighCount), cancellationToken);
            }
            near = await runner.RunAsync(nearStore, "near the limit", count, Limits(limit), cancellationToken, nearLimit: true);
        }
        finally
        {
            if (environment is not null)
            {
                await environment.DisposeAsync();
            }
        }

        var offRate = Median(off.Select(r => r.Rate));
        var onRate = Median(on.Select(r => r.Rate));
        var offTrips = off.Average(r => r.RoundTripsPerPayout);
        var onTrips = on.Average(r => r.RoundTripsPerPayout);
        var pairs = off.Zip(on, (o, n) => n.Rate / o.Rate).ToArray();
        var machine = $"{Environment.ProcessorCount} logical processors";
        report.Add(
            Name,
            "limits off",
            $"{Stats.Number(offRate)} payouts/s to submitted (median of {rounds} rounds of {count}: {Rates(off)}); " +
                $"table round trips per payout {Stats.Number(offTrips, "0.00")}");
        report.Add(
            Name,
            "limits on, set too high to hold anything",
            $"{Stats.Number(onRate)} payouts/s to submitted (median of {rounds} rounds of {count}: {Rates(on)}); " +
                $"table round trips per payout {Stats.Number(onTrips, "0.00")}, " +
                $"of which Controls {Stats.Number(on.Average(r => r.ControlsPerPayout), "0.00")} " +
                $"({Stats.Number(on.Average(r => r.ConflictsPerPayout), "0.00")} refused for a conflict and tried again)",
            note: $"the Controls requests of the last round: {on[^1].ControlsBreakdown}");
        report.Add(
            Name,
            "limits on / off",
            $"{Stats.Number(onRate / offRate, "0.00")}x by throughput (medians, same run, alternating rounds; " +
                $"pair by pair {string.Join(", ", pairs.Select(p => Stats.Number(p, "0.00")))}); " +
                $"{Stats.Number(onTrips / offTrips, "0.00")}x table round trips per payout; on {machine}",
            note: "the cost of counting: the day's share and the mobile number's count, each a read and a conditional write; " +
                "the pool now and then");
        report.Budget(
            Name,
            "table round trips per payout with limits off",
            $"max {off.Max(r => r.MaxRecordTrips)}, mean {Stats.Number(offTrips, "0.00")}, " +
                $"Controls {off.Sum(r => r.ControlsTrips)}",
            $"<= {RoundTripBudget}, none on the Controls table",
            off.All(r => r.MaxRecordTrips <= RoundTripBudget && r.RoundTrips <= (long)RoundTripBudget * r.Count && r.ControlsTrips == 0));
        // Counted means at least a read and a write of the mobile number's count and of a share: 4 Controls round trips a payout.
        var counted = on.All(r => r.ControlsTrips >= 4L * r.Count);
        report.Budget(
            Name,
            "limits set too high to hold anything",
            $"{on.Sum(r => r.Submitted)}/{on.Sum(r => r.Count)} submitted, held {on.Sum(r => r.Held)}; " +
                $"every payout counted: {(counted ? "yes" : "no")}; " +
                $"Paypro calls per payout exactly 1 (limits on and off): {(on.Concat(off).All(r => r.CallsExact) ? "yes" : "no")}",
            "every payout counted and submitted, none held, one Paypro call each",
            counted && on.Concat(off).All(r => r.Submitted == r.Count && r.Held == 0 && r.CallsExact));
        report.Budget(
            Name,
            "near the limit (Controls:DailyCountLimit " + limit.ToString(CultureInfo.InvariantCulture) + ")",
            $"cleared {near.Submitted}, held {near.Held} of {count}; " +
                $"Paypro called for {near.Called} ({(near.CallsExact ? "once each" : "NOT once each")}); " +
                $"{Stats.Number(near.Rate)} cleared/s, {Stats.Number(near.DecidedRate)} decided/s " +
                $"(cleared or held, {Stats.Seconds(near.DecidedSpan)}); " +
                $"table round trips per payout {Stats.Number(near.RoundTripsPerPayout, "0.00")}, " +
                $"of which Controls {Stats.Number(near.ControlsPerPayout, "0.00")}",
            $"exactly {limit} cleared, {count - limit} held",
            near.Submitted == limit && near.Held == count - limit && near.Called == limit && near.CallsExact,
            note: $"the Controls requests: {near.ControlsBreakdown}" + (near.DayChanged ? "; the Kenya day changed during the round" : ""));
    }

    /// <summary>The four limits: null for off; otherwise the day's count at <paramref name="dayCount"/> and the others too
    /// high to bind.</summary>
    private static Dictionary<string, string?> Limits(long? dayCount) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Controls:DailyAmountLimit"] = dayCount is null ? null : HighAmount.ToString(CultureInfo.InvariantCulture),
        ["Controls:DailyCountLimit"] = dayCount?.ToString(CultureInfo.InvariantCulture),
        ["Controls:MobileDailyAmountLimit"] = dayCount is null ? null : HighAmount.ToString(CultureInfo.InvariantCulture),
        ["Controls:MobileDailyCountLimit"] = dayCount is null ? null : HighCount.ToString(CultureInfo.InvariantCulture),
    };

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0
            ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Rates(IEnumerable<RoundResult> rounds) => string.Join(", ", rounds.Select(r => Stats.Number(r.Rate)));

    /// <summary>One round: the payouts, what became of them, how fast, and what they cost.</summary>
    private sealed record RoundResult(
        int Count,
        int Submitted,
        int Held,
        int Called,
        bool CallsExact,
        TimeSpan SubmitSpan,
        TimeSpan DecidedSpan,
        long RoundTrips,
        int MaxRecordTrips,
        int ControlsTrips,
        int Conflicts,
        string ControlsBreakdown,
        bool DayChanged)
    {
        public double Rate => Submitted / Math.Max(SubmitSpan.TotalSeconds, 0.001);
        public double DecidedRate => (Submitted + Held) / Math.Max(DecidedSpan.TotalSeconds, 0.001);
        public double RoundTripsPerPayout => (double)RoundTrips / Count;
        public double ControlsPerPayout => (double)ControlsTrips / Count;
        public double ConflictsPerPayout => (double)Conflicts / Count;
    }

    /// <summary>Runs rounds one after another, each on the app started again with its settings on tables of its own.</summary>
    private sealed class RoundRunner(StorageCounter counter, TimeSpan timeout)
    {
        private int _round;

        /// <summary>
        /// <paramref name="count"/> payouts, each to a mobile number of its own that Paypro keeps processing, enqueued at
        /// once, until each is submitted or held. <paramref name="nearLimit"/>: some are expected to be held, and the
        /// app's warning per held payout is kept off the console.
        /// </summary>
        public async Task<RoundResult> RunAsync(
            LoadEnvironment environment,
            string what,
            int count,
            IReadOnlyDictionary<string, string?> limits,
            CancellationToken cancellationToken,
            bool nearLimit = false)
        {
            var round = ++_round;
            var prefix = $"{environment.TablePrefix}R{round}";
            var table = prefix + "Transactions";
            var settings = new Dictionary<string, string?>(limits, StringComparer.OrdinalIgnoreCase)
            {
                ["Storage:TablePrefix"] = prefix,
                ["Logging:LogLevel:" + typeof(TransactionSubmitter).FullName] = nearLimit ? "Error" : null,
            };
            await environment.StopAppAsync();
            await environment.StartAppAsync(cancellationToken, settings);

            var tradeNos = Workload.TradeNos(environment, "R" + round.ToString(CultureInfo.InvariantCulture) + "X", count);
            var wanted = tradeNos.ToHashSet(StringComparer.Ordinal);
            var payouts = tradeNos.Select((t, i) => (t, $"2547{i % 1_000_000:D6}13")).ToList();
            counter.Reset();
            var clock = Stopwatch.StartNew();
            var firstEnqueue = DateTimeOffset.UtcNow;
            var day = PayoutControls.KenyaDay(firstEnqueue);
            var enqueued = await Workload.EnqueuePayoutsAsync(environment, payouts, cancellationToken);
            if (!nearLimit)
            {
                // Every payout is sent: Paypro's own log (in memory) says when the last create call came, without a scan of the
                // table the round measures. The scan below then finds the last answers written.
                while (CreateCalls(environment, wanted).Count < count)
                {
                    if (clock.Elapsed > timeout)
                    {
                        throw new LoadSetupException(
                            $"{what}: Paypro got the create calls of {CreateCalls(environment, wanted).Count} of {count} payouts " +
                                $"within {Stats.Seconds(timeout)}.");
                    }
                    await Task.Delay(50, cancellationToken);
                }
            }
            var records = await Workload.WaitForRecordsAsync(
                environment,
                r => tradeNos.All(t => r.TryGetValue(t, out var record) && record.State != TransactionState.Submitting),
                $"{count} payouts submitted or held ({what})",
                timeout,
                cancellationToken,
                table: table);
            var dayChanged = PayoutControls.KenyaDay(DateTimeOffset.UtcNow) != day;
            // The last messages may still be on their way out of the queue (their deletes in flight): the next round starts
            // the app again on tables of its own, where a message left over would be a new payout.
            while (await Workload.QueueLengthAsync(environment.Queues, environment.PayoutsQueue, cancellationToken) > 0)
            {
                if (clock.Elapsed > timeout)
                {
                    throw new LoadSetupException($"{what}: the payouts queue still held messages after {Stats.Seconds(timeout)}.");
                }
                await Task.Delay(50, cancellationToken);
            }
            var submitted = tradeNos.Count(t => records[t].State == TransactionState.Submitted);
            var held = tradeNos.Count(t => records[t].State == TransactionState.Held);
            var revisions = await RevisionsAsync(environment, table, cancellationToken);
            var submittedAt = revisions
                .Where(t => t.Key.State == "submitted" && wanted.Contains(t.Key.TradeNo))
                .Select(t => t.Value.At)
                .DefaultIfEmpty(firstEnqueue)
                .Max();
            var decidedAt = revisions
                .Where(t => t.Key.State is "submitted" or "held" && wanted.Contains(t.Key.TradeNo))
                .Select(t => t.Value.At)
                .DefaultIfEmpty(firstEnqueue)
                .Max();
            // Each payout from its enqueue to its decision (submitted or held), and the messages delivered more than once
            // (the first revision names the delivery), so a slow round says why.
            var latencies = tradeNos
                .Select(t => (
                    TradeNo: t,
                    Ms: revisions.TryGetValue((t, "submitted"), out var r) || revisions.TryGetValue((t, "held"), out r)
                        ? (r.At - enqueued[t]).TotalMilliseconds
                        : double.NaN))
                .Where(l => !double.IsNaN(l.Ms))
                .OrderBy(l => l.Ms)
                .ToArray();
            var redelivered = revisions.Count(r => wanted.Contains(r.Key.TradeNo)
                && r.Key.State is "submitting" or "held"
                && r.Value.Detail is { } d
                && !d.Contains("(delivery 1)", StringComparison.Ordinal));
            var calls = CreateCalls(environment, wanted);
            var callsExact = tradeNos.All(
                t => calls.GetValueOrDefault(t) == (records[t].State == TransactionState.Submitted ? 1 : 0));
            var result = new RoundResult(
                count,
                submitted,
                held,
                calls.Count,
                callsExact,
                submittedAt - firstEnqueue,
                decidedAt - firstEnqueue,
                counter.RoundTrips,
                tradeNos.Max(counter.RoundTripsOf),
                counter.RoundTripsOn("Controls"),
                counter.ConflictsOn("Controls"),
                counter.DescribeRequests("Controls") is { Length: > 0 } controls ? controls : "none",
                dayChanged);
            var sorted = latencies.Select(l => l.Ms).ToArray();
            var slowest = latencies.Length > 0
                ? Timeline(environment, latencies[^1].TradeNo, enqueued[latencies[^1].TradeNo], revisions)
                : "";
            Console.WriteLine($"  {what} (round {round}): {submitted} submitted, {held} held of {count}; " +
                $"{Stats.Number(result.Rate)} payouts/s to submitted " +
                $"in {Stats.Seconds(result.SubmitSpan)}; per payout p50 {Stats.Ms(Stats.Percentile(sorted, 50))}, " +
                $"p99 {Stats.Ms(Stats.Percentile(sorted, 99))}, " +
                $"max {Stats.Ms(Stats.Percentile(sorted, 100))} ({slowest}), over 10 s {sorted.Count(l => l > 10_000)}; " +
                $"messages delivered more than once {redelivered}; " +
                $"{Stats.Number(result.RoundTripsPerPayout, "0.00")} table round trips per payout: {counter.DescribeRequests()}");
            return result;
        }

        /// <summary>One payout's way, from its enqueue: its record written, Paypro's receipt of the create call, its decision.</summary>
        private static string Timeline(LoadEnvironment environment, string tradeNo, DateTimeOffset enqueuedAt,
            Dictionary<(string TradeNo, string State), (DateTimeOffset At, string? Detail)> revisions)
        {
            string Since(DateTimeOffset? at) => at is { } a ? Stats.Ms((a - enqueuedAt).TotalMilliseconds) : "n/a";
            var written = revisions.TryGetValue((tradeNo, "submitting"), out var w) || revisions.TryGetValue((tradeNo, "held"), out w)
                ? w.At
                : (DateTimeOffset?)null;
            var received = environment.Sandbox.Ledger.Requests
                .FirstOrDefault(r => r.Endpoint == "/api/payout" && r.TradeNo == tradeNo)?.ReceivedAt;
            var decided = revisions.TryGetValue((tradeNo, "submitted"), out var d) || revisions.TryGetValue((tradeNo, "held"), out d)
                ? d.At
                : (DateTimeOffset?)null;
            return $"{tradeNo}: record written {Since(written)}, at Paypro {Since(received)}, decided {Since(decided)}";
        }

        /// <summary>The create calls Paypro got for <paramref name="wanted"/>, by tradeNo.</summary>
        private static Dictionary<string, int> CreateCalls(LoadEnvironment environment, HashSet<string> wanted) =>
            environment.Sandbox.Ledger.Requests
                .Where(r => r.Endpoint == "/api/payout" && r.TradeNo is { } t && wanted.Contains(t))
                .GroupBy(r => r.TradeNo!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
    }

    /// <summary>When each revision row of <paramref name="table"/> was written, and its detail, by tradeNo and state (one scan,
    /// after the round).</summary>
    private static async Task<Dictionary<(string TradeNo, string State), (DateTimeOffset At, string? Detail)>> RevisionsAsync(
        LoadEnvironment environment,
        string table,
        CancellationToken cancellationToken)
    {
        var transactions = environment.Tables.GetTableClient(table);
        var revisions = new Dictionary<(string, string), (DateTimeOffset, string?)>();
        await foreach (var entity in transactions.QueryAsync<TableEntity>(
            filter: TableClient.CreateQueryFilter($"RowKey ge {"rev|"} and RowKey lt {"rev}"}"),
            maxPerPage: 1000,
            select: ["PartitionKey", "State", "At", "Detail"],
            cancellationToken: cancellationToken))
        {
            if (entity.GetString("State") is { } state && entity.GetDateTimeOffset("At") is { } at)
            {
                revisions[(entity.PartitionKey, state)] = (at, entity.GetString("Detail"));
            }
        }
        return revisions;
    }
}
