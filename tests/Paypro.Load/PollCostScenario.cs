using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Paypro.Functions.Storage;
using Paypro.Functions.Transactions;

namespace Paypro.Load;

/// <summary>
/// "poll-cost": one poll with the same pending transactions due, over a history of finished ones that grows
/// tenfold per step. The entities the poll reads (counted on the wire) must not grow with the history.
/// </summary>
/// <remarks>
/// The history is what finished transactions leave behind where a poll could look: a final record in its own
/// partition (many single inserts at once), and its row in the creation index, which shares the due index's
/// partition (batches of 100; up to <see cref="MaxCreationIndexRows"/>). The pending ones are records Paypro does not
/// know, so each check leaves them pending; the poll moves their entries an hour on, and each step puts them due again.
/// </remarks>
public sealed class PollCostScenario : IScenario
{
    /// <summary>
    /// Azurite answers an insert into one partition in a time that grows with the partition (it scans it), so
    /// 100,000 rows of the creation index, which shares the due index's partition, would take a quarter of an hour
    /// to seed. The series carries the creation index up to this many rows, and the records all the way.
    /// </summary>
    private const int MaxCreationIndexRows = 10_000;

    public string Name => "poll-cost";

    public string Title => "entities read per poll with the same pending transactions over a growing history";

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var pending = context.Smoke ? 10 : 100;
        int[] steps = context.Smoke ? [100, 300, 1_000] : [1_000, 10_000, 100_000];
        if (context.Options.Count is { } largest)
        {
            steps = [Math.Max(1, largest / 100), Math.Max(1, largest / 10), largest];
        }
        var counter = new StorageCounter();
        await using var environment = await context.StartEnvironmentAsync(new EnvironmentOptions
        {
            StorageCounter = counter,
            AppSettings = new Dictionary<string, string?>
            {
                // A checked entry goes an hour on (backoff from FirstCheckAfter), so no step sees another step's entries due.
                ["Poll:FirstCheckAfter"] = "01:00:00",
                ["Poll:MaxBackoff"] = "02:00:00",
                // The app records what queries show of the channel at most four times per window: a day keeps that out of the
                // measured polls.
                ["Poll:QueryChannelWindow"] = "1.00:00:00",
            },
        }, cancellationToken);
        var store = environment.Store;
        var pendingTradeNos = Workload.TradeNos(environment, "D", pending);
        await Workload.SeedSubmittedAsync(store, pendingTradeNos, DateTimeOffset.UtcNow.AddHours(1), cancellationToken);
        // The app reads which index partitions exist once per process: a first poll, with nothing due yet, does that
        // before the measured ones.
        await environment.PollOnceAsync(cancellationToken);
        // The sandbox never saw the seeded transactions, so it answers "not found" for what the app has as submitted, which
        // only a broken query channel does. The app records that once per quarter of Poll:QueryChannelWindow, not per poll:
        // the warm-up does it here, so each measured poll costs what a poll costs.
        await environment.App!.Services.GetRequiredService<QueryChannel>().RecordFailedAsync(pendingTradeNos[0], cancellationToken);

        var seeded = 0;
        var lastBreakdown = "";
        var indexedRows = 0;
        var series = new List<(int History, int Indexed, long Entities, long RoundTrips, long Queries, TimeSpan Took)>();
        foreach (var size in steps)
        {
            var seedClock = Stopwatch.StartNew();
            indexedRows += await SeedHistoryAsync(environment, seeded, size - seeded, cancellationToken);
            var added = size - seeded;
            seeded = size;
            Console.WriteLine($"  history: {added} finished transactions added in {Stats.Seconds(seedClock.Elapsed)} " +
                $"({Stats.Number(added / Math.Max(seedClock.Elapsed.TotalSeconds, 0.001))} /s; setup, not measured), {size} in all");

            // Exactly the pending transactions due: whatever a previous poll left in the index goes, they come back due.
            foreach (var entry in await store.Due.GetScheduledAsync(100_000, cancellationToken))
            {
                await store.Due.RemoveDueAsync(entry.TradeNo, entry.Partition, ETag.All, cancellationToken);
            }
            var now = DateTimeOffset.UtcNow;
            for (var i = 0; i < pendingTradeNos.Length; i++)
            {
                await store.Due.ScheduleAsync(pendingTradeNos[i], now.AddMinutes(-5).AddMilliseconds(i), 0, now, cancellationToken);
            }

            var dueNow = (await store.Due.GetDueAsync(DateTimeOffset.UtcNow, 100_000, cancellationToken)).Entries.Count;
            if (dueNow != pending)
            {
                throw new LoadSetupException($"{dueNow} entries are due before the poll; {pending} should be.");
            }
            var queriesBefore = environment.Sandbox.Ledger.Requests.Count;
            counter.Reset();
            var clock = Stopwatch.StartNew();
            await environment.PollOnceAsync(cancellationToken);
            var took = clock.Elapsed;
            var queries = environment.Sandbox.Ledger.Requests.Count - queriesBefore;
            series.Add((size, indexedRows, counter.EntitiesRead, counter.RoundTrips, queries, took));
            lastBreakdown = counter.DescribeRequests();
            Console.WriteLine(
                $"  poll over {size} finished + {pending} pending: {counter.EntitiesRead} entities read, " +
                $"{counter.RoundTrips} table round trips, " +
                $"{queries} Paypro queries, {Stats.Seconds(took)}: {counter.DescribeRequests()}");
        }

        string Series(Func<(int History, int Indexed, long Entities, long RoundTrips, long Queries, TimeSpan Took), string> value) =>
            string.Join(" / ", series.Select(value));
        var flat = series.All(s => s.Entities == series[0].Entities && s.RoundTrips == series[0].RoundTrips);
        report.Budget(Name, "entities read per poll",
            $"{Series(s => s.Entities.ToString(CultureInfo.InvariantCulture))} with {pending} pending " +
            $"over {Series(s => s.History.ToString("N0", CultureInfo.InvariantCulture))} finished " +
            $"(creation-index rows in the index partitions {Series(s => s.Indexed.ToString("N0", CultureInfo.InvariantCulture))})",
            "flat: the same at every history size", flat && series.All(s => s.Queries == pending),
            note: $"{pending} due entries and {pending} record reads make {2 * pending}; the breakdown of the last poll: {lastBreakdown}");
        report.Add(Name, "table round trips per poll", Series(s => s.RoundTrips.ToString(CultureInfo.InvariantCulture)));
        report.Add(Name, "Paypro queries per poll", Series(s => s.Queries.ToString(CultureInfo.InvariantCulture)));
        report.Add(Name, "poll wall time", Series(s => Stats.Seconds(s.Took)),
            note: "this machine, on Azurite, which scans a partition to answer a range query; Table Storage serves it from its index");
    }

    /// <summary>
    /// <paramref name="count"/> finished transactions, numbered from <paramref name="from"/>: each a final record, and
    /// (up to <see cref="MaxCreationIndexRows"/> in all) a row of the creation index (batches of 100, one partition). The
    /// record is a copy of one the app's store wrote (so it has the app's layout, whatever that is), inserted on its own,
    /// many at once: each transaction has its own partition, so records cannot share a batch, and a single insert is what
    /// Azurite serves fastest. The revision rows and audit rows a real history also holds sit beside the records, where no
    /// poll looks; they are left out to keep the seeding short.
    /// </summary>
    private static async Task<int> SeedHistoryAsync(LoadEnvironment environment, int from, int count, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var transactions = environment.Tables.GetTableClient(environment.TransactionsTable);
        var templates = new List<TableEntity>();
        foreach (var (state, status) in new[] { (TransactionState.Succeeded, "0000"), (TransactionState.Failed, "00029") })
        {
            var tradeNo = $"H{environment.Id.ToUpperInvariant()}{state}{from}";
            var record = Workload.SubmittedRecord(tradeNo, now);
            record.State = state;
            record.FinalAt = now;
            record.PayproStatus = status;
            record.Reason = state == TransactionState.Failed ? "Paypro reported 00029 REJECTED_TRANSACTION." : null;
            await environment.Store.Transactions.WriteAsync(
                record,
                isNew: true,
                "seed",
                "history seeded by the load tool",
                now,
                null,
                null,
                cancellationToken);
            templates.Add((await transactions.GetEntityAsync<TableEntity>(
                tradeNo,
                TransactionStore.RecordRowKey,
                cancellationToken: cancellationToken)).Value);
        }
        var tradeNos = Enumerable.Range(from, count).Select(i => $"H{environment.Id.ToUpperInvariant()}{i:D7}").ToArray();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(
            tradeNos.Select((t, i) => (TradeNo: t, Index: i)),
            new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (item, token) =>
            {
                var entity = new TableEntity(templates[item.Index % 3 == 0 ? 1 : 0])
                {
                    PartitionKey = item.TradeNo,
                    RowKey = TransactionStore.RecordRowKey,
                };
                entity.Remove("odata.etag");
                entity.Remove("Timestamp");
                await transactions.AddEntityAsync(entity, token);
            });
        var recordsTook = clock.Elapsed;
        var due = environment.Tables.GetTableClient(environment.DueTable);
        var indexed = tradeNos.Take(Math.Max(0, MaxCreationIndexRows - from)).ToArray();
        // A batch covers one partition: the rows go in by index partition, 100 at a time.
        var chunks = indexed.GroupBy(environment.Store.Partitions.PartitionOf).SelectMany(g => g.Chunk(100));
        await Parallel.ForEachAsync(
            chunks,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (chunk, token) =>
                await due.SubmitTransactionAsync(
                    chunk.Select(tradeNo => new TableTransactionAction(
                        TableTransactionActionType.Add,
                        DueIndex.NewTransactionRows(
                            environment.Store.Partitions.PartitionOf(tradeNo),
                            tradeNo,
                            TransactionKind.Payout,
                            now,
                            now).Created)),
                    token));
        Console.WriteLine(
            $"  history: {count} records in {Stats.Seconds(recordsTook)}, " +
            $"{indexed.Length} creation-index rows in {Stats.Seconds(clock.Elapsed - recordsTook)}");
        return indexed.Length;
    }
}
