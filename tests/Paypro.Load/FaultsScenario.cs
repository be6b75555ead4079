using System.Diagnostics;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues.Models;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Load;

/// <summary>
/// "faults": payouts arrive at a steady pace while the app, its real worker under the host emulator (child processes),
/// loses its worker (SIGKILL; the emulator starts a new one) and later the whole instance (the emulator and its worker
/// killed together, then started again), storage (Table and Queue) is stopped for several seconds, and the sandbox
/// executes and then times out, answers 503, or executes and then drops the connection for a few percent of calls
/// each, and drops or duplicates a few percent of its callbacks. Then: was anything paid twice (the sandbox's
/// ledger), lost (not final by the deadline), or recorded differently from what the ledger says happened?
/// </summary>
public sealed class FaultsScenario : IScenario
{
    private const double RequestFaultProbability = 0.03;
    private const double CallbackFaultProbability = 0.05;

    public string Name => "faults";

    public string Title => "kills, a storage outage, Paypro faults and lost or doubled callbacks while payouts are in flight";

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var count = context.Count(600, 40);
        var outage = context.Smoke ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(8);
        var pace = context.Smoke ? TimeSpan.FromSeconds(8) : TimeSpan.FromSeconds(60);
        var timeout = context.Timeout(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(90));
        await using var environment = await context.StartEnvironmentAsync(new EnvironmentOptions
        {
            PersistentStorage = true,
            AppUnderEmulator = true,
            Sandbox = sandbox =>
            {
                // Paypro's own waits at a tenth: processing 0.5 s (2 s for mobiles ending in 13), callback retries
                // after 0.2, 0.5, 1 and 3 s, then 6 minutes (beyond the run: the poller has to find those).
                sandbox.TimeScale = 0.1;
                sandbox.SuccessDelay = TimeSpan.FromSeconds(5);
                sandbox.LongProcessingDelay = TimeSpan.FromSeconds(20);
                sandbox.CallbackTimeout = TimeSpan.FromSeconds(5);
                sandbox.FaultSeed = 13;
            },
            AppSettings = new Dictionary<string, string?>
            {
                ["PollSchedule"] = "*/2 * * * * *",
                ["Paypro:RequestTimeout"] = "00:00:02",
                ["Poll:FirstCheckAfter"] = "00:00:03",
                ["Poll:MaxBackoff"] = "00:00:05",
                // Longer than a create call can take (its timeout, a restart, the outage), so "Paypro does not know it"
                // is only ever concluded about a call that never reached Paypro.
                ["Poll:UnknownGracePeriod"] = context.Smoke ? "00:00:08" : "00:00:20",
                // A killed instance's messages come back after this (the host leases for longer and renews).
                ["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:03",
                // The money controls count every payout (limits far above the run, so none is held): the counting and
                // its give-backs go through the same kills and outages, and must never count less than was paid.
                ["Controls:DailyAmountLimit"] = "1000000000000",
                ["Controls:DailyCountLimit"] = "1000000000",
                ["Controls:MobileDailyAmountLimit"] = "1000000000000",
                ["Controls:MobileDailyCountLimit"] = "1000000000",
            },
        }, cancellationToken);
        var sandbox = environment.Sandbox;
        var child = environment.Child!;
        sandbox.Faults.Add(new SandboxFault { Kind = FaultKind.ExecuteThenTimeout, Probability = RequestFaultProbability, Count = null });
        sandbox.Faults.Add(new SandboxFault
        {
            Kind = FaultKind.HttpError,
            StatusCode = 503,
            Probability = RequestFaultProbability,
            Count = null,
        });
        sandbox.Faults.Add(new SandboxFault { Kind = FaultKind.ExecuteThenAbort, Probability = RequestFaultProbability, Count = null });
        sandbox.Faults.Add(new SandboxFault { Kind = FaultKind.DropCallback, Probability = CallbackFaultProbability, Count = null });
        sandbox.Faults.Add(new SandboxFault { Kind = FaultKind.DuplicateCallback, Probability = CallbackFaultProbability, Count = null });

        // Every outcome the sandbox knows, by the last two digits of the mobile: mostly success, some rejected,
        // short of balance, refused (8000, never executed), system error (5000, never executed), immediate success, slow.
        string[] endings =
        [
            "00",
            "01",
            "02",
            "03",
            "04",
            "05",
            "06",
            "07",
            "08",
            "09",
            "10",
            "17",
            "18",
            "11",
            "11",
            "12",
            "14",
            "15",
            "16",
            "13",
        ];
        var tradeNos = Workload.TradeNos(environment, "F", count);
        var payouts = tradeNos.Select((t, i) => (TradeNo: t, Mobile: "2547123456" + endings[i % endings.Length])).ToArray();
        var queue = environment.Queues.GetQueueClient(environment.PayoutsQueue);
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

        var enqueued = 0;
        var clock = Stopwatch.StartNew();
        using var producerStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < payouts.Length; i++)
            {
                // A steady pace, so payouts are in flight through every fault.
                var at = pace * i / payouts.Length;
                if (at > clock.Elapsed)
                {
                    await Task.Delay(at - clock.Elapsed, producerStop.Token);
                }
                var sendDeadline = clock.Elapsed + outage + TimeSpan.FromSeconds(60);
                while (true)
                {
                    try
                    {
                        await queue.SendMessageAsync(Workload.PayoutMessage(payouts[i].TradeNo, payouts[i].Mobile), producerStop.Token);
                        break;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException && clock.Elapsed < sendDeadline)
                    {
                        // Storage is down: the producer waits for it, as a producer with retries would.
                        await Task.Delay(250, producerStop.Token);
                    }
                }
                Interlocked.Increment(ref enqueued);
            }
        }, producerStop.Token);

        async Task UntilEnqueuedAsync(double fraction)
        {
            var deadline = clock.Elapsed + pace + outage + TimeSpan.FromSeconds(60);
            while (Volatile.Read(ref enqueued) < payouts.Length * fraction)
            {
                if (producer.IsFaulted || clock.Elapsed > deadline)
                {
                    await producer;
                    throw new LoadSetupException($"The producer stalled at {Volatile.Read(ref enqueued)} of {payouts.Length} payouts.");
                }
                await Task.Delay(50, cancellationToken);
            }
        }

        var log = new List<string>();
        void Note(string what)
        {
            log.Add($"{Stats.Seconds(clock.Elapsed)}: {what}");
            Console.WriteLine($"  {Stats.Seconds(clock.Elapsed)}: {what} ({Volatile.Read(ref enqueued)} of {count} enqueued)");
        }
        try
        {
            await UntilEnqueuedAsync(0.25);
            Note($"kill -9 the worker (process {child.ReadyWorkers[^1]}) alone");
            await child.KillWorkerAsync(cancellationToken);
            Note($"the emulator started a new worker (process {child.ReadyWorkers[^1]})");

            await UntilEnqueuedAsync(0.45);
            Note($"storage stopped for {outage.TotalSeconds:0} s");
            await environment.Azurite.StopAsync();
            // The outage itself: a fixed time by definition, not a wait for work.
            await Task.Delay(outage, cancellationToken);
            await environment.Azurite.StartAgainAsync(cancellationToken);
            Note("storage started again");

            await UntilEnqueuedAsync(0.70);
            Note($"kill -9 the instance: the emulator and its worker (process {child.ReadyWorkers[^1]})");
            await child.KillInstanceAsync();
            await environment.StartAppAsync(cancellationToken);
            Note($"instance started again (worker process {child.ReadyWorkers[^1]})");
            await producer;
        }
        finally
        {
            await producerStop.CancelAsync();
            try
            {
                await producer;
            }
            catch (OperationCanceledException)
            {
            }
        }
        var lastEnqueued = clock.Elapsed;
        Note("every payout enqueued");

        Dictionary<string, RecordState> records;
        TimeSpan? allFinal = null;
        try
        {
            records = await Workload.WaitForRecordsAsync(
                environment,
                r => tradeNos.All(t => r.TryGetValue(t, out var record) && record.State.IsFinal()),
                $"{count} payouts final",
                timeout,
                cancellationToken,
                interval: TimeSpan.FromMilliseconds(500));
            allFinal = clock.Elapsed;
        }
        catch (LoadSetupException ex)
        {
            // Not final by the deadline: that is the measurement (lost), not a failure to run.
            Console.WriteLine($"  {ex.Message}");
            records = await Workload.ScanRecordsAsync(environment, cancellationToken);
        }

        var ledger = sandbox.Ledger;
        var entries = ledger.Entries
            .Where(e => e.Kind == SandboxTransactionKind.Payout)
            .GroupBy(e => e.TradeNo)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var createCalls = ledger.Requests
            .Where(r => r.Endpoint == "/api/payout")
            .GroupBy(r => r.TradeNo ?? "")
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var paidTwice = entries.Count(e => e.Value.Count > 1);
        var calledTwice = tradeNos.Count(t => createCalls.GetValueOrDefault(t) > 1);
        var lost = new List<string>();
        var disagree = new List<string>();
        foreach (var tradeNo in tradeNos)
        {
            var entry = entries.GetValueOrDefault(tradeNo)?[0];
            if (!records.TryGetValue(tradeNo, out var record) || !record.State.IsFinal())
            {
                lost.Add(
                    $"{tradeNo}: {(record is null ? "no record" : record.State.ToWire())}, Paypro {entry?.Status ?? "never executed"}");
                continue;
            }
            var agrees = entry switch
            {
                // Never executed: the app must say it failed (or was rejected) and that the money never left.
                null => record.State is TransactionState.Failed or TransactionState.Rejected && record.NotSent,
                { Status: "0000" } => record.State == TransactionState.Succeeded,
                { Status: "0015" } => false,
                _ => record.State == TransactionState.Failed && !record.NotSent,
            } && (entry is null || entry.Amount == record.Amount);
            if (!agrees)
            {
                disagree.Add(
                    $"{tradeNo}: app {record.State.ToWire()}{(record.NotSent ? " (not sent)" : "")}, " +
                    $"Paypro {entry?.Status ?? "never executed"}");
            }
        }
        foreach (var line in lost.Take(10).Concat(disagree.Take(10)))
        {
            Console.WriteLine($"  {line}");
        }
        if (lost.Count + disagree.Count > 0)
        {
            Console.WriteLine($"  the app's last output:{Environment.NewLine}{child.Tail}");
        }

        var fired = sandbox.Faults.Active.ToDictionary(f => f.Fault.Kind, f => f.Fired);
        var duplicatedCallbacks = sandbox.Callbacks.Count(c => c.DuplicateOf is not null);
        var poison = await Workload.QueueLengthAsync(environment.Queues, environment.PayoutsQueue + "-poison", cancellationToken);
        report.Add(Name, "faults injected",
            $"worker killed alone {child.WorkerKills} (SIGKILL; the emulator started a new one), instance killed {child.InstanceKills} " +
            $"(emulator and worker, SIGKILL; started again; workers left running {child.OrphanedWorkers}), " +
            $"storage stopped {outage.TotalSeconds:0} s; " +
            $"Paypro: execute-then-timeout {fired.GetValueOrDefault(FaultKind.ExecuteThenTimeout)}, " +
            $"503 {fired.GetValueOrDefault(FaultKind.HttpError)}, " +
            $"execute-then-drop {fired.GetValueOrDefault(FaultKind.ExecuteThenAbort)} of {ledger.Requests.Count} calls; " +
            $"callbacks dropped {fired.GetValueOrDefault(FaultKind.DropCallback)}, " +
            $"duplicated {duplicatedCallbacks} of {sandbox.Callbacks.Count}");
        report.Budget(
            Name,
            "paid twice",
            $"{paidTwice} (ledger); create calls sent twice {calledTwice}",
            "0",
            paidTwice == 0 && calledTwice == 0);
        report.Budget(
            Name,
            "lost",
            $"{lost.Count} of {count} not final {Stats.Seconds(timeout)} after the last was enqueued (poison messages {poison})",
            "0",
            lost.Count == 0);
        report.Budget(
            Name,
            "disagreeing with the ledger",
            $"{disagree.Count} of {count - lost.Count} final; " +
            $"outcomes {Workload.DescribeStates(records.Where(r => tradeNos.Contains(r.Key)).ToDictionary())}",
            "0",
            disagree.Count == 0);
        // What the day limits counted (the day shares' used amounts) against what Paypro paid: a payout that escaped the count
        // would let a limit be passed. A crash can leave a count too high (counted, then never recorded; or a failure's
        // give-back lost), which only ever holds a payout early.
        var paid = tradeNos.Sum(t => entries.GetValueOrDefault(t)?.FirstOrDefault(e => e.Status == "0000")?.Amount ?? 0);
        var counted = 0L;
        var controls = environment.Tables.GetTableClient(environment.TablePrefix + "Controls");
        await foreach (var share in controls.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey ge {"day-"} and PartitionKey lt {"day-~"} and RowKey eq {"total"}"),
            cancellationToken: cancellationToken))
        {
            counted += share.GetInt64("Amount") ?? 0;
        }
        report.Budget(
            Name,
            "counted for the day limits",
            $"{counted} KES counted, {paid} KES paid (ledger); counted beyond what was paid {counted - paid} KES",
            "never less than paid",
            counted >= paid);
        report.Add(Name, "time until all final", allFinal is { } done
            ? $"{Stats.Seconds(done)} from the first enqueue ({Stats.Seconds(done - lastEnqueued)} after the last; " +
                $"payouts enqueued over {Stats.Seconds(pace)})"
            : $"not within {Stats.Seconds(timeout)} after the last enqueue",
            note: "this machine; poll every 2 s, first check after 3 s, unknown outcomes failed as never sent after " +
                (context.Smoke ? "8 s" : "20 s"));

        await EventsOutageAsync(context, environment, timeout, cancellationToken);
    }

    /// <summary>
    /// Settlement by polling alone while the events queue is away: every callback is dropped and the events queue is
    /// deleted until every payout is final and several polls have run over them, then created again. Each final payout
    /// must still be announced: the poller sends what the outbox holds, and no transaction leaves the due index before.
    /// </summary>
    private async Task EventsOutageAsync(
        ScenarioContext context,
        LoadEnvironment environment,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var count = context.Count(60, 10);
        var sandbox = environment.Sandbox;
        sandbox.Faults.Clear();
        sandbox.Faults.Add(new SandboxFault { Kind = FaultKind.DropCallback, Count = null });
        var events = environment.Queues.GetQueueClient(environment.EventsQueue);
        await events.DeleteIfExistsAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"  events queue deleted; {count} payouts to settle by polling alone");
        var tradeNos = Workload.TradeNos(environment, "E", count);
        var queue = environment.Queues.GetQueueClient(environment.PayoutsQueue);
        foreach (var tradeNo in tradeNos)
        {
            await queue.SendMessageAsync(Workload.PayoutMessage(tradeNo, TestMobiles.Success), cancellationToken);
        }
        await Workload.WaitForRecordsAsync(environment, r => tradeNos.All(t => r.TryGetValue(t, out var record) && record.State.IsFinal()),
            $"{count} payouts final by polling while the events queue is away", timeout, cancellationToken);
        var settled = clock.Elapsed;
        // The outage goes on for a fixed time by definition (about a minute in a full run), so that several polls run
        // over the final transactions while their events cannot be sent.
        var outage = context.Smoke ? settled + TimeSpan.FromSeconds(5) : Max(settled + TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));
        await Task.Delay(outage - clock.Elapsed, cancellationToken);
        await events.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        Console.WriteLine($"  {Stats.Seconds(clock.Elapsed)}: events queue created again");

        var announced = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var wanted = tradeNos.ToHashSet(StringComparer.Ordinal);
        var deadline = clock.Elapsed + timeout;
        // Bounded in count as well as time: every receive either brings messages or waits.
        for (var receive = 0; receive < 10_000 && announced.Count < count && clock.Elapsed < deadline; receive++)
        {
            QueueMessage[] batch = (await events.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5), cancellationToken)).Value;
            if (batch.Length == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
                continue;
            }
            foreach (var message in batch)
            {
                using var document = JsonDocument.Parse(message.Body.ToString());
                var tradeNo = document.RootElement.GetProperty("tradeNo").GetString() ?? "";
                var type = document.RootElement.GetProperty("type").GetString() ?? "";
                if (wanted.Contains(tradeNo) && type is "payout.succeeded" or "payout.failed" or "payout.rejected")
                {
                    (announced.TryGetValue(tradeNo, out var ids) ? ids : announced[tradeNo] = [])
                        .Add(document.RootElement.GetProperty("id").GetString() ?? "");
                }
                await events.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            }
        }
        var missing = count - announced.Count;
        var announcedAt = clock.Elapsed;
        context.Report.Budget(Name, "final without their events",
            $"{missing} of {count} payouts settled by polling alone while the events queue was away {Stats.Seconds(outage)} " +
            $"(all final after {Stats.Seconds(settled)}; every event on the queue {Stats.Seconds(announcedAt - outage)} after it was back)",
            "0", missing == 0 && announced.Values.All(ids => ids.Count == 1));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
