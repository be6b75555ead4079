using System.Diagnostics;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Paypro.Functions.Transactions;

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
public sealed class EventLagScenario : IScenario
{
    private const double BudgetMs = 1000;
    private static readonly TimeSpan EventsSnapshotAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan EventVisibility = TimeSpan.FromMinutes(5);

    public string Name => "event-lag";

    public string Title => "after a burst of signed callbacks, p50 and p99 from each state change to its event on the queue";

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var count = context.Count(2000, 30);
        var concurrency = context.Concurrency(64, 8);
        var timeout = context.Timeout(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1));
        await using var environment = await context.StartEnvironmentAsync(
            new EnvironmentOptions { RecordEventSends = true },
            cancellationToken);
        var tradeNos = Workload.TradeNos(environment, "E", count);

        // 1. Seed: N payouts through the payouts queue, until all are submitted (not measured).
        var seedClock = Stopwatch.StartNew();
        await Workload.EnqueuePayoutsAsync(environment, tradeNos.Select(t => (t, Workload.HeldMobile)).ToList(), cancellationToken);
        var seeded = await Workload.WaitForRecordsAsync(
            environment,
            records => records.Values.Count(r => r.State == TransactionState.Submitted) == count
                || records.Values.Any(r => r.State is not (TransactionState.Submitting or TransactionState.Submitted)),
            $"{count} payouts submitted",
            context.Options.SeedTimeout,
            cancellationToken);
        if (seeded.Values.Count(r => r.State == TransactionState.Submitted) != count)
        {
            throw new LoadSetupException(
                $"Seeding went wrong: records {Workload.DescribeStates(seeded)}; all {count} should be submitted.");
        }
        Console.WriteLine(
            $"  seed: {count} payouts submitted through the queue in {Stats.Seconds(seedClock.Elapsed)} (setup, not measured)");

        // 2. The burst: N signed success callbacks at the given concurrency.
        var bodies = tradeNos.Select(t => Workload.NotifyBody(environment, t)).ToArray();
        using var http = Workload.LoopbackClient(environment.BaseAddress, concurrency);
        var burst = await Workload.PostBurstAsync(http, environment.NotifyPathAndQuery, bodies, concurrency, cancellationToken);
        var burstEnd = DateTimeOffset.UtcNow;
        foreach (var failure in burst.Failures)
        {
            Console.WriteLine($"  non-OK: {failure}");
        }

        // 3. What is on the events queue 10 s after the burst (nothing consumes that queue but this run). A smoke run skips the wait.
        var events = environment.Queues.GetQueueClient(environment.EventsQueue);
        int? afterTenSeconds = null;
        if (!context.Smoke)
        {
            var wait = burstEnd + EventsSnapshotAfter - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            afterTenSeconds = (await events.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
        }

        // 4. Read every event, until N payout.succeeded are in or the deadline passes.
        var drain = await DrainEventsAsync(
            environment,
            events,
            tradeNos.ToHashSet(StringComparer.Ordinal),
            burstEnd + timeout,
            cancellationToken);

        // 5. The state-change time in the payload against the revision row's At.
        var revisionCheck = await CompareWithRevisionsAsync(environment, drain.Succeeded, cancellationToken);

        var insertedLags = drain.Succeeded.Values.Select(e => (e.InsertedOn - e.OccurredAt).TotalMilliseconds).Order().ToArray();
        var ackLags = drain.Succeeded.Values
            .Where(e => e.Acknowledged is not null)
            .Select(e => (e.Acknowledged!.Value - e.OccurredAt).TotalMilliseconds)
            .Order()
            .ToArray();
        var sentLags = drain.Succeeded.Values
            .Where(e => e.Sent is not null)
            .Select(e => (e.Sent!.Value - e.OccurredAt).TotalMilliseconds)
            .Order()
            .ToArray();
        var wholeSeconds = drain.Succeeded.Values.All(e => e.InsertedOn.Ticks % TimeSpan.TicksPerSecond == 0);
        var missing = count - drain.Succeeded.Count;
        var unmatchedAcks = drain.Succeeded.Count - ackLags.Length;
        var p99Inserted = Stats.Percentile(insertedLags, 99);
        var p99Acknowledged = Stats.Percentile(ackLags, 99);

        Console.WriteLine($"  events: {drain.Succeeded.Count} payout.succeeded of {count} in {Stats.Seconds(drain.Elapsed)} of reading; " +
            $"duplicates={drain.Duplicates} " +
            $"other-types={drain.OtherTypes} foreign={drain.Foreign} unreadable={drain.Unreadable}; " +
            $"event sends not answered 201 by the queue={environment.EventSends.FailedSends}");
        Console.WriteLine($"  state-change time: the event's occurredAt; " +
            $"equals the succeeded revision row's At for {revisionCheck.Equal} of {drain.Succeeded.Count}" +
            (revisionCheck.Missing > 0 ? $" ({revisionCheck.Missing} without a succeeded revision row)" : "") +
            (revisionCheck.Different > 0
                ? $" ({revisionCheck.Different} different, largest {revisionCheck.LargestDifferenceMs:0.000} ms)"
                : ""));
        Console.WriteLine($"  send started after the change: p50={Stats.Ms(Stats.Percentile(sentLags, 50))} " +
            $"p99={Stats.Ms(Stats.Percentile(sentLags, 99))} " +
            $"max={Stats.Ms(Stats.Percentile(sentLags, 100))}" +
            (unmatchedAcks > 0 ? $"; {unmatchedAcks} event(s) without a recorded send" : ""));

        report.Budget(
            Name,
            "callbacks answered",
            $"{count - burst.NonOk}/{count} OK at concurrency {concurrency}, {Stats.Number(burst.RequestsPerSecond)} /s, " +
                $"p50 {Stats.Ms(Stats.Percentile(burst.LatenciesMs, 50))}, p99 {Stats.Ms(Stats.Percentile(burst.LatenciesMs, 99))}",
            "every answer OK",
            burst.NonOk == 0);
        report.Budget(
            Name,
            "events on the queue",
            $"{drain.Succeeded.Count}/{count}" + (afterTenSeconds is { } after ? $" ({after} there 10 s after the burst)" : "") +
                $", duplicates {drain.Duplicates}",
            "every change announced once",
            missing == 0 && drain.Duplicates == 0 && revisionCheck.Missing == 0 && revisionCheck.Different == 0);
        report.Budget(
            Name,
            "lag, state change to the queue's 201",
            $"p50 {Stats.Ms(Stats.Percentile(ackLags, 50))}, p99 {Stats.Ms(p99Acknowledged)}, " +
                $"max {Stats.Ms(Stats.Percentile(ackLags, 100))} (n={ackLags.Length}; exact, an upper bound)",
            $"p99 < {BudgetMs:0} ms",
            missing == 0 && unmatchedAcks == 0 && p99Acknowledged < BudgetMs,
            judged: !context.Smoke);
        report.Add(
            Name,
            "lag by the queue's insertion time",
            $"p50 {Stats.Ms(Stats.Percentile(insertedLags, 50))}, p99 {Stats.Ms(p99Inserted)}" +
                (wholeSeconds ? " (the queue reports whole seconds: each value is up to 1 s below the true lag)" : ""));
    }

    private sealed record ReceivedEvent(
        string TradeNo,
        DateTimeOffset OccurredAt,
        DateTimeOffset InsertedOn,
        DateTimeOffset? Sent,
        DateTimeOffset? Acknowledged);

    private sealed record DrainResult(
        Dictionary<string, ReceivedEvent> Succeeded,
        int Duplicates,
        int OtherTypes,
        int Foreign,
        int Unreadable,
        TimeSpan Elapsed);

    private static async Task<DrainResult> DrainEventsAsync(
        LoadEnvironment environment,
        QueueClient events,
        HashSet<string> expected,
        DateTimeOffset deadline,
        CancellationToken cancellationToken)
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
                    succeeded[tradeNo] = new ReceivedEvent(
                        tradeNo,
                        occurredAt,
                        message.InsertedOn ?? default,
                        sent ? sentAt : null,
                        sent ? acknowledgedAt : null);
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

    private static async Task<RevisionCheck> CompareWithRevisionsAsync(
        LoadEnvironment environment,
        Dictionary<string, ReceivedEvent> succeeded,
        CancellationToken cancellationToken)
    {
        var transactions = environment.Tables.GetTableClient(environment.TransactionsTable);
        var revisionAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await foreach (var entity in transactions.QueryAsync<TableEntity>(
            filter: "RowKey ge 'rev|' and RowKey lt 'rev}' and State eq 'succeeded'",
            maxPerPage: 1000,
            select: ["PartitionKey", "At"],
            cancellationToken: cancellationToken))
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
}
