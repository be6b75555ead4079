using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Paypro.Functions.Transactions;

namespace Paypro.Load;

/// <summary>A transaction's record as the tool reads it back.</summary>
public sealed record RecordState(string TradeNo, TransactionState State, bool NotSent, long Amount, int Revision);

/// <summary>The answers to a burst of requests.</summary>
public sealed record BurstResult(
    TimeSpan Elapsed,
    double[] LatenciesMs,
    int NonOk,
    IReadOnlyDictionary<int, int> ByStatus,
    IReadOnlyList<string> Failures)
{
    public double RequestsPerSecond => LatenciesMs.Length / Math.Max(Elapsed.TotalSeconds, 0.001);
}

/// <summary>What the scenarios share: tradeNos, payout messages, seeded records, signed callbacks, bursts, waits.</summary>
public static class Workload
{
    public const long Amount = 120;

    /// <summary>A mobile ending in 13: the sandbox keeps the payout processing for its LongProcessingDelay.</summary>
    public const string HeldMobile = TestMobiles.LongProcessing;

    public static string[] TradeNos(LoadEnvironment environment, string tag, int count) =>
        Enumerable.Range(1, count).Select(i => $"L{environment.Id.ToUpperInvariant()}{tag}{i:D6}").ToArray();

    public static string PayoutMessage(string tradeNo, string mobile = HeldMobile) =>
        $$$"""{"tradeNo":"{{{tradeNo}}}","amount":{{{Amount}}},"mobile":"{{{mobile}}}","remark":"load","metadata":""" +
        $$$"""{"correlationId":"c-{{{tradeNo}}}"}}""";

    /// <summary>Enqueues payouts (16 sends at once); returns when each send was acknowledged, by tradeNo.</summary>
    public static async Task<ConcurrentDictionary<string, DateTimeOffset>> EnqueuePayoutsAsync(
        LoadEnvironment environment,
        IReadOnlyList<(string TradeNo, string Mobile)> payouts,
        CancellationToken cancellationToken)
    {
        var queue = environment.Queues.GetQueueClient(environment.PayoutsQueue);
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var enqueued = new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(
            payouts,
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (payout, token) =>
            {
                await queue.SendMessageAsync(PayoutMessage(payout.TradeNo, payout.Mobile), token);
                enqueued[payout.TradeNo] = DateTimeOffset.UtcNow;
            });
        return enqueued;
    }

    /// <summary>A payout record as the app writes it when Paypro has accepted it (state submitted), with its due entry.</summary>
    public static TransactionRecord SubmittedRecord(
        string tradeNo,
        DateTimeOffset now,
        ETag? dueETag = null,
        string mobile = HeldMobile,
        string? partition = null) => new()
    {
        TradeNo = tradeNo,
        Kind = TransactionKind.Payout,
        State = TransactionState.Submitted,
        Amount = Amount,
        Mobile = mobile,
        Remark = "load",
        MetadataJson = $$"""{"correlationId":"c-{{tradeNo}}"}""",
        CreatedAt = now,
        UpdatedAt = now,
        SubmittedAt = now,
        PayproStatus = "0015",
        SerialNumber = Guid.NewGuid().ToString("N"),
        DueETag = dueETag,
        IndexPartition = partition,
    };

    /// <summary>
    /// Writes pending payout records through the app's own store (one batch per transaction: the record and its
    /// revision row), each with a due entry at <paramref name="dueAt"/>: what the submit path leaves, without
    /// calling Paypro. Setup, not measured.
    /// </summary>
    public static async Task SeedSubmittedAsync(
        Stores store,
        IReadOnlyList<string> tradeNos,
        DateTimeOffset dueAt,
        CancellationToken cancellationToken)
    {
        await store.CreateTablesAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(
            tradeNos,
            new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (tradeNo, token) =>
            {
                var due = await store.Due.ScheduleAsync(tradeNo, dueAt, 0, now, token);
                var record = SubmittedRecord(tradeNo, now, due.ETag, partition: due.Partition);
                await WriteSeededAsync(store, record, now, token);
            });
    }

    /// <summary>Writes a seeded record as new (setup, not measured); one already written means the seeding went wrong.</summary>
    public static async Task WriteSeededAsync(
        Stores store,
        TransactionRecord record,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var written = await store.Transactions.WriteAsync(
            record,
            isNew: true,
            "seed",
            "seeded by the load tool",
            now,
            null,
            null,
            cancellationToken);
        if (written.Outcome != WriteOutcome.Written)
        {
            throw new LoadSetupException($"Seeding {record.TradeNo} found it written already.");
        }
    }

    /// <summary>
    /// Every transaction record (one scan, state and a few fields only), by tradeNo; of <paramref name="table"/> when given,
    /// else of the environment's table.
    /// </summary>
    public static async Task<Dictionary<string, RecordState>> ScanRecordsAsync(
        LoadEnvironment environment,
        CancellationToken cancellationToken,
        string? table = null)
    {
        var transactions = environment.Tables.GetTableClient(table ?? environment.TransactionsTable);
        var records = new Dictionary<string, RecordState>(StringComparer.Ordinal);
        try
        {
            await foreach (var entity in transactions.QueryAsync<TableEntity>(filter: "RowKey eq 'record'", maxPerPage: 1000,
                select: ["PartitionKey", "State", "NotSent", "Amount", "Revision"], cancellationToken: cancellationToken))
            {
                TransactionStateExtensions.TryParseWire(entity.GetString("State"), out TransactionState state);
                records[entity.PartitionKey] = new RecordState(
                    entity.PartitionKey,
                    state,
                    entity.GetBoolean("NotSent") ?? false,
                    entity.GetInt64("Amount") ?? 0,
                    entity.GetInt32("Revision") ?? 0);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // The app creates its tables at start; a first look may come before.
        }
        return records;
    }

    /// <summary>
    /// Scans the records (of <paramref name="table"/> when given) until <paramref name="done"/> holds; throws when
    /// <paramref name="deadline"/> passes first.
    /// </summary>
    /// <returns>The last scan.</returns>
    public static async Task<Dictionary<string, RecordState>> WaitForRecordsAsync(
        LoadEnvironment environment,
        Func<Dictionary<string, RecordState>, bool> done,
        string what,
        TimeSpan deadline,
        CancellationToken cancellationToken,
        TimeSpan? interval = null,
        Func<Dictionary<string, RecordState>, string>? progress = null,
        string? table = null)
    {
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.FromSeconds(10);
        while (true)
        {
            var records = await ScanRecordsAsync(environment, cancellationToken, table);
            if (done(records))
            {
                return records;
            }
            var poison = await QueueLengthAsync(environment.Queues, environment.PayoutsQueue + "-poison", cancellationToken);
            if (clock.Elapsed > deadline)
            {
                throw new LoadSetupException(
                    $"Waited {deadline.TotalSeconds:0} s for {what}; records {DescribeStates(records)}; poison messages {poison}.");
            }
            if (clock.Elapsed >= nextReport)
            {
                Console.WriteLine(
                    $"  waiting for {what}: {clock.Elapsed.TotalSeconds:0} s, records {DescribeStates(records)}" +
                    $"{(progress is null ? "" : "; " + progress(records))}");
                nextReport = clock.Elapsed + TimeSpan.FromSeconds(10);
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    public static string DescribeStates(IReadOnlyDictionary<string, RecordState> records) =>
        Stats.Describe(records.Values.GroupBy(r => r.State.ToWire()).ToDictionary(g => g.Key, g => g.Count()));

    public static async Task<int> QueueLengthAsync(QueueServiceClient queues, string queue, CancellationToken cancellationToken)
    {
        var client = queues.GetQueueClient(queue);
        return await client.ExistsAsync(cancellationToken)
            ? (await client.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount
            : 0;
    }

    /// <summary>A callback as Paypro sends it now, signed with <paramref name="secret"/> (the sandbox's app secret by default).</summary>
    public static string NotifyBody(
        LoadEnvironment environment,
        string tradeNo,
        string status = "0000",
        string? secret = null,
        string amount = "120") =>
        NotifyBodies.Signed(
            NotifyFields(tradeNo, status, amount),
            secret ?? environment.Sandbox.Options.AppSecret,
            environment.Sandbox.Options.SaltPosition);

    /// <summary>A callback's fields as Paypro sends them now, with a fresh platFormTradeNo.</summary>
    public static List<KeyValuePair<string, string?>> NotifyFields(string tradeNo, string status = "0000", string amount = "120") =>
        NotifyBodies.Fields(tradeNo, status, amount, at: DateTimeOffset.UtcNow, platFormTradeNo: Guid.NewGuid().ToString("N"));

    public static HttpClient LoopbackClient(Uri baseAddress, int connections) =>
        new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = connections, ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };

    /// <summary>
    /// Posts every body once, <paramref name="concurrency"/> at a time; an answer counts as OK when it is 200 with body <c>OK</c>.
    /// </summary>
    public static async Task<BurstResult> PostBurstAsync(
        HttpClient http,
        string pathAndQuery,
        IReadOnlyList<string> bodies,
        int concurrency,
        CancellationToken cancellationToken)
    {
        var latencies = new double[bodies.Count];
        var nonOk = 0;
        var byStatus = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        void Fail(string what)
        {
            Interlocked.Increment(ref nonOk);
            if (failures.Count < 10)
            {
                failures.Enqueue(what);
            }
        }

        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, bodies.Count),
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var started = clock.Elapsed;
                try
                {
                    using var content = new StringContent(bodies[i], Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync(pathAndQuery, content, token);
                    var text = await response.Content.ReadAsStringAsync(token);
                    byStatus.AddOrUpdate((int)response.StatusCode, 1, static (_, n) => n + 1);
                    if (response.StatusCode != HttpStatusCode.OK || text != "OK")
                    {
                        Fail($"#{i}: {(int)response.StatusCode} {Truncate(text, 200)}");
                    }
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    byStatus.AddOrUpdate(0, 1, static (_, n) => n + 1);
                    Fail($"#{i}: {ex.GetType().Name}: {ex.Message}");
                }
                latencies[i] = (clock.Elapsed - started).TotalMilliseconds;
            });
        var elapsed = clock.Elapsed;
        Array.Sort(latencies);
        return new BurstResult(elapsed, latencies, nonOk, byStatus.ToDictionary(), [.. failures]);
    }

    public static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
