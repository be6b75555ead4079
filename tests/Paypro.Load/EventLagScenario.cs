using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Paypro.Load;

/// <summary>
/// "event lag": N payouts wait in state submitted; N signed success callbacks arrive as one burst; how long after
/// each state change is its <c>payout.succeeded</c> event on the events queue?
/// </summary>
/// <remarks>
/// The state-change time is the event's <c>occurredAt</c>: <c>TransactionStore.WriteAsync</c> takes one clock
/// reading and writes it both as the revision row's <c>At</c> and, through <c>TransactionEvents.Build</c>, as the
/// payload's <c>occurredAt</c>, in the same batch as the change. The run checks afterwards that the two agree.
/// </remarks>
public sealed class EventLagScenario(LoadEnvironment environment, LoadOptions options)
{
    private const double BudgetMs = 1000;
    private const string Amount = "120";
    private static readonly TimeSpan EventsSnapshotAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan EventVisibility = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan KenyaOffset = TimeSpan.FromHours(3);

    /// <returns>The exit code: 0 when the budget is met, every event is in and every answer was OK; 1 otherwise.</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var count = options.Count;
        var tradeNos = Enumerable.Range(1, count).Select(i => $"LOAD{environment.Id.ToUpperInvariant()}{i:D6}").ToArray();

        // 1. Seed: N payouts through the payouts queue, until all are submitted (not measured).
        var seedClock = Stopwatch.StartNew();
        await EnqueuePayoutsAsync(tradeNos, cancellationToken);
        var enqueued = seedClock.Elapsed;
        await WaitUntilSubmittedAsync(count, seedClock, cancellationToken);
        Console.WriteLine($"seed: {count} payouts submitted in {seedClock.Elapsed.TotalSeconds:0.0}s (enqueue {enqueued.TotalSeconds:0.0}s; setup, not measured)");

        // 2. The burst: N signed success callbacks at the given concurrency.
        var bodies = tradeNos.Select(NotifyBody).ToArray();
        var burst = await PostBurstAsync(bodies, cancellationToken);
        var burstEnd = DateTimeOffset.UtcNow;
        Console.WriteLine($"burst: {count} callbacks at concurrency {options.Concurrency} in {burst.Elapsed.TotalSeconds:0.00}s " +
            $"({count / Math.Max(burst.Elapsed.TotalSeconds, 0.001):0} /s); answer p50={Ms(Percentile(burst.LatenciesMs, 50))} " +
            $"p99={Ms(Percentile(burst.LatenciesMs, 99))} max={Ms(Percentile(burst.LatenciesMs, 100))}; non-OK={burst.NonOk}");
        foreach (var failure in burst.Failures)
        {
            Console.WriteLine($"  non-OK: {failure}");
        }

        // 3. What is on the events queue 10 s after the burst (nothing consumes that queue but this run).
        var events = environment.Queues.GetQueueClient(environment.EventsQueue);
        await DelayUntilAsync(burstEnd + EventsSnapshotAfter, cancellationToken);
        var afterTenSeconds = (await events.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;

        // 4. Read every event, until N payout.succeeded are in or the deadline passes.
        var drain = await DrainEventsAsync(events, tradeNos.ToHashSet(StringComparer.Ordinal), burstEnd + options.Timeout, cancellationToken);

        // 5. The state-change time in the payload against the revision row's At.
        var revisionCheck = await CompareWithRevisionsAsync(drain.Succeeded, cancellationToken);

        var insertedLags = drain.Succeeded.Values.Select(e => (e.InsertedOn - e.OccurredAt).TotalMilliseconds).Order().ToArray();
        var ackLags = drain.Succeeded.Values.Where(e => e.Acknowledged is not null).Select(e => (e.Acknowledged!.Value - e.OccurredAt).TotalMilliseconds).Order().ToArray();
        var sentLags = drain.Succeeded.Values.Where(e => e.Sent is not null).Select(e => (e.Sent!.Value - e.OccurredAt).TotalMilliseconds).Order().ToArray();
        var wholeSeconds = drain.Succeeded.Values.All(e => e.InsertedOn.Ticks % TimeSpan.TicksPerSecond == 0);

        var missing = count - drain.Succeeded.Count;
        var p99Inserted = Percentile(insertedLags, 99);
        var p99Acknowledged = Percentile(ackLags, 99);
        var unmatchedAcks = drain.Succeeded.Count - ackLags.Length;
        var budgetMet = missing == 0 && unmatchedAcks == 0 && p99Inserted < BudgetMs && p99Acknowledged < BudgetMs;
        var passed = budgetMet && burst.NonOk == 0;

        Console.WriteLine($"events: {drain.Succeeded.Count} payout.succeeded of {count} in {drain.Elapsed.TotalSeconds:0.0}s of reading; " +
            $"duplicates={drain.Duplicates} other-types={drain.OtherTypes} foreign={drain.Foreign} unreadable={drain.Unreadable}; " +
            $"event sends not answered 201 by the queue={environment.EventSends.FailedSends}");
        Console.WriteLine($"state-change time: the event's occurredAt; equals the succeeded revision row's At for {revisionCheck.Equal} of {drain.Succeeded.Count}" +
            (revisionCheck.Missing > 0 ? $" ({revisionCheck.Missing} without a succeeded revision row)" : "") +
            (revisionCheck.Different > 0 ? $" ({revisionCheck.Different} different, largest {revisionCheck.LargestDifferenceMs:0.000}ms)" : ""));
        Console.WriteLine($"lag by InsertedOn{(wholeSeconds ? " (whole seconds only: each value is up to 1 s below the true lag)" : "")}: " +
            $"min={Ms(Percentile(insertedLags, 0))} p50={Ms(Percentile(insertedLags, 50))} p99={Ms(p99Inserted)} max={Ms(Percentile(insertedLags, 100))}");
        Console.WriteLine($"lag by the queue's 201 to the app (exact, an upper bound): p50={Ms(Percentile(ackLags, 50))} p99={Ms(p99Acknowledged)} max={Ms(Percentile(ackLags, 100))}" +
            $"; send started after p50={Ms(Percentile(sentLags, 50))} p99={Ms(Percentile(sentLags, 99))} max={Ms(Percentile(sentLags, 100))}" +
            (unmatchedAcks > 0 ? $"; {unmatchedAcks} event(s) without a recorded send" : ""));
        Console.WriteLine($"event-lag: n={drain.Succeeded.Count} p50={Ms(Percentile(insertedLags, 50))} p99={Ms(p99Inserted)} max={Ms(Percentile(insertedLags, 100))} " +
            $"ack-p99={Ms(p99Acknowledged)} events-after-10s={afterTenSeconds} missing={missing} non-OK={burst.NonOk} burst={burst.Elapsed.TotalSeconds:0.0}s " +
            $"(budget p99 < {BudgetMs:0} ms: {(budgetMet ? "met" : "NOT met")})");
        return passed ? 0 : 1;
    }

    private async Task EnqueuePayoutsAsync(string[] tradeNos, CancellationToken cancellationToken)
    {
        var payouts = environment.Queues.GetQueueClient(environment.PayoutsQueue);
        await payouts.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Parallel.ForEachAsync(tradeNos, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (tradeNo, token) =>
            // The sandbox keeps a payout to a mobile ending in 13 processing (here for a day): it stays submitted.
            await payouts.SendMessageAsync(
                $$$"""{"tradeNo":"{{{tradeNo}}}","amount":{{{Amount}}},"mobile":"254712345613","remark":"load","metadata":{"correlationId":"c-{{{tradeNo}}}"}}""",
                token));
    }

    private async Task WaitUntilSubmittedAsync(int count, Stopwatch seedClock, CancellationToken cancellationToken)
    {
        var transactions = environment.Tables.GetTableClient(environment.TransactionsTable);
        var deadline = seedClock.Elapsed + options.SeedTimeout;
        var nextReport = TimeSpan.FromSeconds(5);
        var states = new Dictionary<string, int>(StringComparer.Ordinal);
        while (true)
        {
            states.Clear();
            try
            {
                await foreach (var entity in transactions.QueryAsync<TableEntity>(filter: "RowKey eq 'record'", maxPerPage: 1000, select: ["PartitionKey", "State"], cancellationToken: cancellationToken))
                {
                    var state = entity.GetString("State") ?? "?";
                    states[state] = states.GetValueOrDefault(state) + 1;
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // The app creates its tables at start; tolerate a first look that comes before.
            }
            var submitted = states.GetValueOrDefault("submitted");
            var unexpected = states.Where(s => s.Key is not ("submitting" or "submitted")).Sum(s => s.Value);
            if (submitted == count)
            {
                return;
            }
            if (unexpected > 0)
            {
                throw new LoadSetupException($"Seeding went wrong: records in states {Describe(states)}; all {count} should be submitted.");
            }
            var poison = await QueueLengthAsync(environment.PayoutsQueue + "-poison", cancellationToken);
            if (poison > 0)
            {
                throw new LoadSetupException($"Seeding went wrong: {poison} payout message(s) in the poison queue; records {Describe(states)}.");
            }
            if (seedClock.Elapsed > deadline)
            {
                throw new LoadSetupException($"Seeding did not finish within {options.SeedTimeout.TotalSeconds:0}s (--seed-timeout): records {Describe(states)} of {count}.");
            }
            if (seedClock.Elapsed >= nextReport)
            {
                Console.WriteLine($"seed: {submitted}/{count} submitted after {seedClock.Elapsed.TotalSeconds:0}s ({Describe(states)})");
                nextReport = seedClock.Elapsed + TimeSpan.FromSeconds(10);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    private string NotifyBody(string tradeNo)
    {
        var now = DateTimeOffset.UtcNow;
        List<KeyValuePair<string, string?>> fields =
        [
            new("platFormTradeNo", Guid.NewGuid().ToString("N")),
            new("tradeNo", tradeNo),
            new("amount", Amount),
            new("status", "0000"),
            new("message", "SUCCESS"),
            new("successTime", now.ToOffset(KenyaOffset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
            new("timestamp", now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)),
        ];
        var sign = PayproSignature.Compute(fields, environment.Sandbox.Options.AppSecret, environment.Sandbox.Options.SaltPosition);
        var json = new StringBuilder("{");
        foreach (var (key, value) in fields)
        {
            json.Append(JsonSerializer.Serialize(key)).Append(':').Append(JsonSerializer.Serialize(value)).Append(',');
        }
        return json.Append("\"sign\":").Append(JsonSerializer.Serialize(sign)).Append('}').ToString();
    }

    private sealed record BurstResult(TimeSpan Elapsed, double[] LatenciesMs, int NonOk, IReadOnlyList<string> Failures);

    private async Task<BurstResult> PostBurstAsync(string[] bodies, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            MaxConnectionsPerServer = options.Concurrency,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        using var http = new HttpClient(handler) { BaseAddress = environment.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var latencies = new double[bodies.Length];
        var nonOk = 0;
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
        await Parallel.ForEachAsync(Enumerable.Range(0, bodies.Length), new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellationToken }, async (i, token) =>
        {
            var started = clock.Elapsed;
            try
            {
                using var content = new StringContent(bodies[i], Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(environment.NotifyPathAndQuery, content, token);
                var text = await response.Content.ReadAsStringAsync(token);
                if (response.StatusCode != HttpStatusCode.OK || text != "OK")
                {
                    Fail($"#{i}: {(int)response.StatusCode} {Truncate(text, 200)}");
                }
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                Fail($"#{i}: {ex.GetType().Name}: {ex.Message}");
            }
            latencies[i] = (clock.Elapsed - started).TotalMilliseconds;
        });
        var elapsed = clock.Elapsed;
        Array.Sort(latencies);
        return new BurstResult(elapsed, latencies, nonOk, [.. failures]);
    }

    private sealed record ReceivedEvent(string TradeNo, DateTimeOffset OccurredAt, DateTimeOffset InsertedOn, DateTimeOffset? Sent, DateTimeOffset? Acknowledged);

    private sealed record DrainResult(Dictionary<string, ReceivedEvent> Succeeded, int Duplicates, int OtherTypes, int Foreign, int Unreadable, TimeSpan Elapsed);

    private async Task<DrainResult> DrainEventsAsync(QueueClient events, HashSet<string> expected, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var succeeded = new Dictionary<string, ReceivedEvent>(StringComparer.Ordinal);
        int duplicates = 0, otherTypes = 0, foreign = 0, unreadable = 0;
        var clock = Stopwatch.StartNew();
        // Bounded in count as well as time: every receive either brings messages or waits.
        var maxReceives = expected.Count + 10_000;
        for (var receive = 0; receive < maxReceives && succeeded.Count < expected.Count && DateTimeOffset.UtcNow < deadline; receive++)
        {
            QueueMessage[] batch = (await events.ReceiveMessagesAsync(32, EventVisibility, cancellationToken)).Value;
            if (batch.Length == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
                continue;
            }
            foreach (var message in batch)
            {
                if (!TryRead(message, out var type, out var tradeNo, out var occurredAt))
                {
                    unreadable++;
                    continue;
                }
                if (type != "payout.succeeded")
                {
                    otherTypes++;
                }
                else if (!expected.Contains(tradeNo))
                {
                    foreign++;
                }
                else if (succeeded.ContainsKey(tradeNo))
                {
                    duplicates++;
                }
                else
                {
                    var sent = environment.EventSends.TryGet(message.MessageId, out var sentAt, out var acknowledgedAt);
                    succeeded[tradeNo] = new ReceivedEvent(tradeNo, occurredAt, message.InsertedOn ?? default,
                        sent ? sentAt : null, sent ? acknowledgedAt : null);
                }
            }
            await Task.WhenAll(batch.Select(m => events.DeleteMessageAsync(m.MessageId, m.PopReceipt, cancellationToken)));
        }
        return new DrainResult(succeeded, duplicates, otherTypes, foreign, unreadable, clock.Elapsed);
    }

    private static bool TryRead(QueueMessage message, out string type, out string tradeNo, out DateTimeOffset occurredAt)
    {
        type = tradeNo = "";
        occurredAt = default;
        try
        {
            using var document = JsonDocument.Parse(message.Body.ToString());
            var root = document.RootElement;
            if (root.TryGetProperty("type", out var typeElement) && typeElement.GetString() is { } typeText
                && root.TryGetProperty("tradeNo", out var tradeNoElement) && tradeNoElement.GetString() is { } tradeNoText
                && root.TryGetProperty("occurredAt", out var occurredElement) && occurredElement.TryGetDateTimeOffset(out occurredAt)
                && message.InsertedOn is not null)
            {
                type = typeText;
                tradeNo = tradeNoText;
                return true;
            }
        }
        catch (JsonException)
        {
        }
        return false;
    }

    private sealed record RevisionCheck(int Equal, int Different, int Missing, double LargestDifferenceMs);

    private async Task<RevisionCheck> CompareWithRevisionsAsync(Dictionary<string, ReceivedEvent> succeeded, CancellationToken cancellationToken)
    {
        var transactions = environment.Tables.GetTableClient(environment.TransactionsTable);
        var revisionAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await foreach (var entity in transactions.QueryAsync<TableEntity>(filter: "RowKey ge 'rev|' and RowKey lt 'rev}' and State eq 'succeeded'",
            maxPerPage: 1000, select: ["PartitionKey", "At"], cancellationToken: cancellationToken))
        {
            if (entity.GetDateTimeOffset("At") is { } at)
            {
                revisionAt[entity.PartitionKey] = at;
            }
        }
        int equal = 0, different = 0, missing = 0;
        var largest = 0.0;
        foreach (var received in succeeded.Values)
        {
            if (!revisionAt.TryGetValue(received.TradeNo, out var at))
            {
                missing++;
                continue;
            }
            var difference = Math.Abs((at - received.OccurredAt).TotalMilliseconds);
            // Table Storage keeps 100 ns ticks, the JSON writer all seven digits; allow for a store that keeps milliseconds.
            if (difference < 1)
            {
                equal++;
            }
            else
            {
                different++;
                largest = Math.Max(largest, difference);
            }
        }
        return new RevisionCheck(equal, different, missing, largest);
    }

    private async Task<int> QueueLengthAsync(string queue, CancellationToken cancellationToken)
    {
        var client = environment.Queues.GetQueueClient(queue);
        return await client.ExistsAsync(cancellationToken) ? (await client.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount : 0;
    }

    private static async Task DelayUntilAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var wait = at - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }
    }

    /// <summary>Nearest-rank percentile of sorted values; 0 gives the minimum, 100 the maximum; NaN when there are none.</summary>
    internal static double Percentile(IReadOnlyList<double> sorted, double percentile)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private static string Ms(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0", CultureInfo.InvariantCulture) + "ms";

    private static string Describe(Dictionary<string, int> states) =>
        states.Count == 0 ? "none yet" : string.Join(", ", states.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"));

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
