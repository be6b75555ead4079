using System.Diagnostics;
using Azure.Data.Tables;
using Paypro.Functions.Storage;
using Paypro.Functions.Transactions;

namespace Paypro.Load;

/// <summary>
/// "history": the pipeline rate to submitted and the notify rate on a fresh store and on a store that holds 20,000
/// earlier transactions, side by side in alternating rounds (each store with its own Azurite, sandbox and app). The
/// history is seeded as earlier days' transactions accumulate: a final record with its revisions, its outbox row, its
/// audit rows, and its creation row in its index partition, spread over 20 days. The app's cost must not grow with
/// the history it keeps. Two controls run beside the app on the same tables, the notify's four operations and the
/// submit path's four table round trips made by a bare endpoint, so a slowdown of the store itself (Azurite serves a
/// table more slowly as it grows) can be told apart from one of the app.
/// </summary>
public sealed class HistoryScenario : IScenario
{
    private const double Budget = 1.2;
    private const int Days = 20;

    /// <summary>How many messages the queue trigger handles at once (host.json: batchSize 8 plus newBatchThreshold 4).</summary>
    private const int SubmitConcurrency = 12;

    public string Name => "history";

    public string Title => "the pipeline and notify rates on a fresh store against one holding 20,000 earlier transactions";

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var count = context.Count(600, 20);
        var history = context.Smoke ? 400 : 20_000;
        var concurrency = context.Concurrency(64, 8);
        var rounds = context.Smoke ? 2 : 4;
        var timeout = context.Timeout(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(1));
        // Two stores side by side, each with its own Azurite, sandbox and app, measured in alternating rounds whose
        // order rotates, so a slower phase of the machine falls on both alike.
        await using var freshEnvironment = await context.StartEnvironmentAsync(new EnvironmentOptions(), cancellationToken);
        await using var historyEnvironment = await context.StartEnvironmentAsync(new EnvironmentOptions(), cancellationToken);
        var fresh = await Side.StartAsync("fresh", freshEnvironment, concurrency, cancellationToken);
        var kept = await Side.StartAsync("history", historyEnvironment, concurrency, cancellationToken);
        try
        {
            var seedClock = Stopwatch.StartNew();
            await SeedHistoryAsync(historyEnvironment, history, cancellationToken);
            Console.WriteLine(
                $"  history: {history} earlier transactions over {Days} days in {Stats.Seconds(seedClock.Elapsed)} (setup, not measured)");

            Side[] sides = [fresh, kept];
            foreach (var side in sides)
            {
                // Warm-up (not measured): connections, JIT, Azurite's caches.
                await side.MeasureAsync("W", Math.Max(8, count / 10), concurrency, timeout, cancellationToken);
            }
            var slice = Math.Max(1, count / rounds);
            for (var round = 0; round < rounds; round++)
            {
                foreach (var side in sides.Skip(round % 2).Concat(sides.Take(round % 2)))
                {
                    var result = await side.MeasureAsync($"R{round}", slice, concurrency, timeout, cancellationToken);
                    side.Add(result);
                }
            }
        }
        finally
        {
            await fresh.DisposeAsync();
            await kept.DisposeAsync();
        }

        var pipeline = fresh.Pipeline / kept.Pipeline;
        var notify = fresh.Notify / kept.Notify;
        var control = fresh.BareNotify / kept.BareNotify;
        var submitControl = fresh.BareSubmit / kept.BareSubmit;
        var what = $"({fresh.Payouts} payouts each, in {rounds} alternating rounds; callbacks at concurrency {concurrency})";
        report.Add(
            Name,
            "fresh store",
            $"pipeline to submitted {Stats.Number(fresh.Pipeline)} payouts/s, notify {Stats.Number(fresh.Notify)} /s {what}");
        report.Add(
            Name,
            $"store holding {history:N0} earlier transactions",
            $"pipeline to submitted {Stats.Number(kept.Pipeline)} payouts/s, notify {Stats.Number(kept.Notify)} /s {what}");
        report.Add(Name, "control: the notify's four operations, bare, on the same tables",
            $"{Stats.Number(fresh.BareNotify)} /s fresh, {Stats.Number(kept.BareNotify)} /s with history: {Stats.Number(control, "0.00")}x",
            note: "no app code: what the store itself loses as its tables grow");
        report.Add(
            Name,
            "control: the submit path's four table round trips, bare, on the same tables",
            $"{Stats.Number(fresh.BareSubmit)} /s fresh, {Stats.Number(kept.BareSubmit)} /s with history: " +
                $"{Stats.Number(submitControl, "0.00")}x (at concurrency {SubmitConcurrency})",
            note: "no app code, no queue, no Paypro: what the store itself loses as its tables grow");
        report.Budget(
            Name,
            "pipeline, fresh / with history",
            $"{Stats.Number(pipeline, "0.00")}x (beyond the bare submit path's: {Stats.Number(pipeline / submitControl, "0.00")}x)",
            $"<= {Budget:0.0}x",
            pipeline <= Budget,
            judged: !context.Smoke,
            note: pipeline <= Budget || context.Smoke
                ? null
                : $"missed: the store itself slows as its tables grow " +
                    $"(the bare submit path slowed {Stats.Number(submitControl, "0.00")}x)");
        report.Budget(
            Name,
            "notify, fresh / with history",
            $"{Stats.Number(notify, "0.00")}x (beyond the bare notify's: {Stats.Number(notify / control, "0.00")}x)",
            $"<= {Budget:0.0}x",
            notify <= Budget,
            judged: !context.Smoke,
            note: notify <= Budget || context.Smoke
                ? null
                : $"missed: the store itself slows as its tables grow (the bare notify slowed {Stats.Number(control, "0.00")}x)");
        report.Budget(
            Name,
            "callbacks applied",
            $"non-OK answers {fresh.NonOk + kept.NonOk}",
            "every callback answered OK",
            fresh.NonOk + kept.NonOk == 0);
    }

    /// <summary>One store with its app, the bare control endpoint on its tables, and what its rounds added up to.</summary>
    private sealed class Side : IAsyncDisposable
    {
        private readonly LoadEnvironment _environment;
        private readonly BaselineServer _bare;
        private readonly HttpClient _http;
        private readonly HttpClient _bareHttp;
        private TimeSpan _submitting;
        private TimeSpan _notifying;
        private TimeSpan _bareNotifying;
        private TimeSpan _bareSubmitting;

        private Side(LoadEnvironment environment, BaselineServer bare, int concurrency)
        {
            _environment = environment;
            _bare = bare;
            _http = Workload.LoopbackClient(environment.BaseAddress, concurrency);
            _bareHttp = Workload.LoopbackClient(bare.BaseAddress, concurrency);
        }

        public int Payouts { get; private set; }
        public int NonOk { get; private set; }
        public double Pipeline => Payouts / _submitting.TotalSeconds;
        public double Notify => Payouts / _notifying.TotalSeconds;
        public double BareNotify => Payouts / _bareNotifying.TotalSeconds;
        public double BareSubmit => Payouts / _bareSubmitting.TotalSeconds;

        public static async Task<Side> StartAsync(
            string name,
            LoadEnvironment environment,
            int concurrency,
            CancellationToken cancellationToken) =>
            new(
                environment,
                await BaselineServer.StartAsync(
                    environment.Azurite,
                    environment.TablePrefix,
                    $"{name}-events-{environment.Id}",
                    cancellationToken),
                concurrency);

        public void Add(Rates rates)
        {
            Payouts += rates.Count;
            NonOk += rates.NonOk;
            _submitting += rates.Submitting;
            _notifying += rates.Notifying;
            _bareNotifying += rates.BareNotifying;
            _bareSubmitting += rates.BareSubmitting;
        }

        public async Task<Rates> MeasureAsync(string tag, int count, int concurrency, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var (submitting, notifying, nonOk) = await MeasureAppAsync(
                _environment,
                _http,
                "A" + tag,
                count,
                concurrency,
                timeout,
                cancellationToken);
            var bareNotifying = await MeasureBareAsync(_environment, _bareHttp, "B" + tag, count, concurrency, cancellationToken);
            var bareSubmitting = await MeasureBareSubmitAsync(_environment, _bareHttp, "S" + tag, count, cancellationToken);
            return new Rates(count, submitting, notifying, bareNotifying, bareSubmitting, nonOk);
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            _bareHttp.Dispose();
            await _bare.DisposeAsync();
        }
    }

    private sealed record Rates(
        int Count,
        TimeSpan Submitting,
        TimeSpan Notifying,
        TimeSpan BareNotifying,
        TimeSpan BareSubmitting,
        int NonOk);

    /// <summary>
    /// <paramref name="count"/> payouts that Paypro keeps processing, enqueued at once: the rate until every one is
    /// submitted; then a signed success callback for each: the rate of the callbacks.
    /// </summary>
    private static async Task<(TimeSpan Submitting, TimeSpan Notifying, int NonOk)> MeasureAppAsync(
        LoadEnvironment environment,
        HttpClient http,
        string tag,
        int count,
        int concurrency,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var tradeNos = Workload.TradeNos(environment, tag, count);
        var wanted = tradeNos.ToHashSet(StringComparer.Ordinal);
        var firstEnqueue = DateTimeOffset.UtcNow;
        await Workload.EnqueuePayoutsAsync(environment, tradeNos.Select(t => (t, Workload.HeldMobile)).ToList(), cancellationToken);
        // The wait must not load the store it measures (a scan of every record would read the whole history): first
        // Paypro's own log, in memory, then a point read of each record's "submitted" revision; the rate is taken from
        // the revisions' own times.
        var clock = Stopwatch.StartNew();
        while (environment.Sandbox.Ledger.Requests
            .Count(r => r.Endpoint == "/api/payout" && r.TradeNo is { } t && wanted.Contains(t)) < count)
        {
            if (clock.Elapsed > timeout)
            {
                throw new LoadSetupException($"Paypro did not get the create calls of {count} payouts within {Stats.Seconds(timeout)}.");
            }
            await Task.Delay(50, cancellationToken);
        }
        var transactions = environment.Tables.GetTableClient(environment.TransactionsTable);
        var submittedAt = new System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (submittedAt.Count < count)
        {
            if (clock.Elapsed > timeout)
            {
                throw new LoadSetupException(
                    $"{count - submittedAt.Count} of {count} payouts were not submitted within {Stats.Seconds(timeout)}.");
            }
            await Parallel.ForEachAsync(
                tradeNos.Where(t => !submittedAt.ContainsKey(t)),
                new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (tradeNo, token) =>
                {
                    var revision = await transactions.GetEntityIfExistsAsync<TableEntity>(
                        tradeNo,
                        TransactionStore.RevisionKey(2),
                        cancellationToken: token);
                    if (revision.HasValue
                        && revision.Value!.GetString("State") == "submitted"
                        && revision.Value.GetDateTimeOffset("At") is { } at)
                    {
                        submittedAt[tradeNo] = at;
                    }
                });
        }
        var submitted = submittedAt.Values.Max() - firstEnqueue;
        var burst = await Workload.PostBurstAsync(
            http,
            environment.NotifyPathAndQuery,
            tradeNos.Select(t => Workload.NotifyBody(environment, t)).ToList(),
            concurrency,
            cancellationToken);
        return (submitted, burst.Elapsed, burst.NonOk);
    }

    /// <summary>
    /// The bare endpoint's rate on <paramref name="count"/> pending payouts of its own, seeded by the app's store into the
    /// same tables (setup, not measured): a signed success callback for each, at the same concurrency.
    /// </summary>
    private static async Task<TimeSpan> MeasureBareAsync(
        LoadEnvironment environment,
        HttpClient http,
        string tag,
        int count,
        int concurrency,
        CancellationToken cancellationToken)
    {
        var tradeNos = Workload.TradeNos(environment, tag, count);
        await Workload.SeedSubmittedAsync(environment.Store, tradeNos, DateTimeOffset.UtcNow.AddDays(1), cancellationToken);
        var burst = await Workload.PostBurstAsync(
            http,
            BaselineServer.Path,
            tradeNos.Select(t => Workload.NotifyBody(environment, t)).ToList(),
            concurrency,
            cancellationToken);
        if (burst.NonOk > 0)
        {
            throw new LoadSetupException(
                $"The bare endpoint answered {burst.NonOk} of {count} callbacks with something else than OK: " +
                    $"{string.Join("; ", burst.Failures)}");
        }
        return burst.Elapsed;
    }

    /// <summary>The bare submit path's rate on <paramref name="count"/> new tradeNos, at the queue trigger's concurrency.</summary>
    private static async Task<TimeSpan> MeasureBareSubmitAsync(
        LoadEnvironment environment,
        HttpClient http,
        string tag,
        int count,
        CancellationToken cancellationToken)
    {
        var tradeNos = Workload.TradeNos(environment, tag, count);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(
            tradeNos,
            new ParallelOptions { MaxDegreeOfParallelism = SubmitConcurrency, CancellationToken = cancellationToken },
            async (tradeNo, token) =>
            {
                using var response = await http.PostAsync($"{BaselineServer.SubmitPath}?tradeNo={tradeNo}", null, token);
                if (!response.IsSuccessStatusCode)
                {
                    throw new LoadSetupException($"The bare submit path answered {(int)response.StatusCode} for {tradeNo}.");
                }
            });
        return clock.Elapsed;
    }

    /// <summary>
    /// Earlier days' transactions, as the app leaves them: per transaction one batch in its partition (the final record,
    /// three revision rows, the outbox row of its event, two audit rows), and its creation row in its index partition,
    /// created over the <see cref="Days"/> days before today. None is in the due index: their events are out.
    /// </summary>
    private static async Task SeedHistoryAsync(LoadEnvironment environment, int count, CancellationToken cancellationToken)
    {
        var transactions = environment.Tables.GetTableClient(environment.TransactionsTable);
        var index = environment.Tables.GetTableClient(environment.DueTable);
        var today = DateTimeOffset.UtcNow.Date;
        var items = Enumerable.Range(0, count).Select(i => (TradeNo: $"Y{environment.Id.ToUpperInvariant()}{i:D6}",
            At: new DateTimeOffset(today, TimeSpan.Zero).AddDays(-Days + i % Days).AddSeconds(i / Days))).ToList();
        await Parallel.ForEachAsync(
            items,
            new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (item, token) =>
            {
                var record = Workload.SubmittedRecord(
                    item.TradeNo,
                    item.At,
                    partition: environment.Store.Partitions.PartitionOf(item.TradeNo));
                record.State = TransactionState.Succeeded;
                record.FinalAt = item.At.AddSeconds(5);
                record.PayproStatus = "0000";
                record.Unsent.Add(TransactionRules.Succeeded);
                var payload = TransactionEvents.Build(record, TransactionRules.Succeeded, item.At.AddSeconds(5));
                List<TableTransactionAction> rows =
                [
                    new(TableTransactionActionType.Add, TransactionStore.ToEntity(record, 3)),
                    .. new[] { "submitting", "submitted", "succeeded" }.Select((state, r) => new TableTransactionAction(
                        TableTransactionActionType.Add,
                        new TableEntity(item.TradeNo, TransactionStore.RevisionKey(r + 1))
                        {
                            ["State"] = state,
                            ["Source"] = "seed",
                            ["At"] = item.At.AddSeconds(r),
                        })),
                    new(TableTransactionActionType.Add, new TableEntity(item.TradeNo, "event|" + TransactionRules.Succeeded)
                    {
                        ["EventId"] = TransactionEvents.EventId(item.TradeNo, TransactionRules.Succeeded),
                        ["Payload"] = payload,
                        ["CreatedAt"] = item.At.AddSeconds(5),
                    }),
                    new(TableTransactionActionType.Add, TransactionStore.AuditEntity(item.TradeNo, "audit|", item.At.AddSeconds(4),
                        new AuditEntry("paypro-query", "Found", "query: Found, status 0015"))),
                    new(TableTransactionActionType.Add, TransactionStore.AuditEntity(item.TradeNo, "audit|", item.At.AddSeconds(5),
                        new AuditEntry("callback", "applied", "now succeeded", Workload.NotifyBody(environment, item.TradeNo)))),
                ];
                await transactions.SubmitTransactionAsync(rows, token);
            });
        // A batch covers one partition: the creation rows go in by index partition, 100 at a time.
        var created = items.GroupBy(item => environment.Store.Partitions.PartitionOf(item.TradeNo))
            .SelectMany(g => g.Select(item => (Partition: g.Key, item.TradeNo, item.At)).Chunk(100));
        await Parallel.ForEachAsync(
            created,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (chunk, token) => await index.SubmitTransactionAsync(
                chunk.Select(row => new TableTransactionAction(
                    TableTransactionActionType.Add,
                    CreationIndex.Row(row.Partition, row.TradeNo, TransactionKind.Payout, row.At))),
                token));
    }
}
