using System.Collections.Concurrent;
using Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paypro.Functions.Storage;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>Money moves exactly once: duplicates, redeliveries, lost answers, crashes and racing instances.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ExactlyOnceTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan BulkTimeout = TimeSpan.FromSeconds(80);

    [Fact]
    public async Task Two_hundred_messages_with_duplicates_and_redeliveries_pay_each_tradeNo_exactly_once()
    {
        const int distinct = 180;
        var tradeNos = Enumerable.Range(0, distinct).Select(i => $"BULK{Guid.NewGuid():N}"[..24] + i.ToString("D3")).ToArray();
        // 20 tradeNos are enqueued twice (10%), 5 others fail their first delivery and come back after the visibility timeout.
        var duplicated = tradeNos.Take(20).ToHashSet();
        var flaky = new FirstScheduleFails(tradeNos.Skip(20).Take(5));
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, configure: services =>
            services.AddSingleton<IDueIndex>(sp => new FlakyIndex(sp.GetRequiredService<IndexPartitions>(), flaky)));

        // Some copies sit next to their original, so two copies are often handled at the same moment.
        var messages = tradeNos.Select((t, i) => (TradeNo: t, Order: i * 10))
            .Concat(duplicated.Select((t, i) =>
                (TradeNo: t, Order: i % 2 == 0 ? Array.IndexOf(tradeNos, t) * 10 + 1 : Random.Shared.Next(distinct * 10))))
            .OrderBy(m => m.Order)
            .Select(m => PayproAppHarness.PayoutMessage(m.TradeNo))
            .ToList();
        Assert.Equal(200, messages.Count);
        await Parallel.ForEachAsync(
            messages,
            new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (text, _) => await app.EnqueueAsync(app.PayoutsQueue, text));

        var wanted = tradeNos.ToHashSet();
        await Eventually.UntilAsync(
            async () => (await app.EventsAsync())
                .Select(e => e.GetProperty("tradeNo").GetString()!)
                .Where(wanted.Contains)
                .Distinct()
                .Count() == distinct,
            $"every one of the {distinct} tradeNos announced its result",
            BulkTimeout);
        await Eventually.UntilAsync(
            async () => await app.QueueLengthAsync(app.PayoutsQueue) == 0,
            "every message, redeliveries included, was handled",
            BulkTimeout);
        Assert.Equal(5, flaky.Failures);

        // A producer that sends a few messages once more, long after: nothing happens again.
        foreach (var tradeNo in tradeNos.Skip(100).Take(5))
        {
            await app.EnqueueAsync(app.PayoutsQueue, PayproAppHarness.PayoutMessage(tradeNo));
        }
        await Eventually.UntilAsync(
            async () => await app.QueueLengthAsync(app.PayoutsQueue) == 0,
            "the late copies were handled",
            BulkTimeout);

        var creates = sandbox.Ledger.Requests.Where(r => r.IsCreate).ToList();
        Assert.Equal(distinct, creates.Count);
        Assert.All(creates.GroupBy(r => r.TradeNo), group => Assert.Single(group));
        Assert.True(wanted.SetEquals(creates.Select(r => r.TradeNo!)), "the create calls are exactly the queued tradeNos");
        Assert.Equal(distinct, sandbox.Ledger.Entries.Count);
        Assert.True(wanted.SetEquals(sandbox.Ledger.Entries.Select(e => e.TradeNo)), "the ledger holds exactly the queued tradeNos");

        var states = new ConcurrentBag<TransactionState>();
        await Parallel.ForEachAsync(
            tradeNos,
            new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (tradeNo, _) => states.Add((await app.GetAsync(tradeNo))!.State));
        Assert.Equal(distinct, states.Count(s => s == TransactionState.Succeeded));

        await Eventually.HoldsForAsync(
            async () => (await app.EventsAsync()).Count == distinct,
            $"exactly {distinct} events",
            TimeSpan.FromMilliseconds(500));
        var events = await app.EventsAsync();
        Assert.Equal(distinct, events.Count);
        Assert.All(
            events.GroupBy(e => e.GetProperty("tradeNo").GetString()),
            group => Assert.Equal("payout.succeeded", Assert.Single(group).GetProperty("type").GetString()));
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Id.Name == nameof(FunctionsLog.DuplicateDelivery));
    }

    [Fact]
    public async Task A_payout_executed_whose_answer_never_came_is_resolved_by_polling_and_paid_once()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("LOST");
        sandbox.Faults.Add(new SandboxFault { Endpoint = "/api/payout", TradeNo = tradeNo, Kind = FaultKind.ExecuteThenTimeout });
        sandbox.DropCallbacks(TransactionKind.Payout, tradeNo);

        await app.EnqueuePayoutAsync(tradeNo);

        // Paypro holds the answer until the app gives up (Paypro:RequestTimeout): then the outcome is unknown, and the
        // create call is not repeated. Once Paypro has the call, the clock skips the timeout instead of waiting it out.
        await Eventually.UntilAsync(() => sandbox.Ledger.CreateAttempts(tradeNo).Any(), "Paypro received the create call");
        app.Clock.Skip(PayproAppHarness.RequestTimeout);
        var unknown = await app.WaitForStateAsync(tradeNo, TransactionState.Unknown);
        Assert.Contains("unknown", unknown.Reason, StringComparison.OrdinalIgnoreCase);
        var attempt = Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        Assert.Equal(FaultKind.ExecuteThenTimeout, attempt.Fault);
        Assert.True(attempt.Executed);

        var record = await app.PollUntilAsync(tradeNo, TransactionState.Succeeded);

        Assert.Equal("0000", record.PayproStatus);
        Assert.False(record.NotSent);
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        Assert.StartsWith("query", (await app.ChangeToAsync(tradeNo, TransactionState.Succeeded)).Detail);
        Assert.Equal("payout.succeeded", Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_crash_right_after_the_call_leaves_a_trace_and_the_redelivered_message_does_not_pay_again()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        CrashAfterCreate? paypro = null;
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, configure: services =>
            services.AddSingleton<PayproClient>(sp => paypro = new CrashAfterCreate(
                sp.GetRequiredService<IHttpClientFactory>(),
                sp.GetRequiredService<IOptions<PayproClientOptions>>(),
                sp.GetRequiredService<IPayproSecretSource>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<PayproClient>>())));
        var tradeNo = TestTradeNos.New("CRASH");
        sandbox.DropCallbacks(TransactionKind.Payout, tradeNo);

        await app.EnqueuePayoutAsync(tradeNo);

        await Eventually.UntilAsync(() => paypro?.Crashes == 1, "the process 'died' right after Paypro executed the payout");
        Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        // The message comes back after the visibility timeout, finds the record, and is done with.
        await Eventually.UntilAsync(async () => await app.QueueLengthAsync(app.PayoutsQueue) == 0, "the redelivered message was handled");
        Assert.Contains(
            app.Logs.GetSnapshot(),
            r => r.Id.Name == nameof(FunctionsLog.DuplicateDelivery) && r.GetStructuredStateValue("TradeNo") == tradeNo);
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        // The record written before the call is the trace: still "submitting", so the poller looks it up.
        Assert.Equal(TransactionState.Submitting, (await app.GetAsync(tradeNo))!.State);

        var record = await app.PollUntilAsync(tradeNo, TransactionState.Succeeded);

        Assert.Equal("0000", record.PayproStatus);
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        Assert.Equal(1, paypro!.Calls);
        Assert.Equal("payout.succeeded", Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Two_instances_handed_the_same_payout_at_once_call_Paypro_once()
    {
        var tradeNo = TestTradeNos.New("RACE");
        var id = Guid.NewGuid().ToString("N")[..10];
        // Both instances read "no record" before either writes, so the conditional insert alone decides.
        var race = new RaceGate(tradeNo);
        var receivesA = new ReceiveGate($"payouts-{id}", open: true);
        var receivesB = new ReceiveGate($"payouts-{id}", open: false);
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var a = await PayproAppHarness.StartAsync(
            azurite,
            sandbox,
            configure: services => Instance(services, "A", race, receivesA),
            id: id);
        await using var b = await PayproAppHarness.StartAsync(
            azurite,
            sandbox,
            configure: services => Instance(services, "B", race, receivesB),
            id: id);
        Assert.Equal(a.PayoutsQueue, b.PayoutsQueue);
        Assert.Equal(a.TablePrefix, b.TablePrefix);
        try
        {
            // Instance A takes the first copy and waits at the gate; only then may B take the second.
            await a.EnqueuePayoutAsync(tradeNo);
            await Eventually.UntilAsync(() => race.Arrived.Contains("A"), "instance A holds the first copy");
            receivesA.Close();
            await Eventually.UntilAsync(() => receivesA.Waiting > 0, "instance A no longer receives");
            receivesB.Open();
            await b.EnqueuePayoutAsync(tradeNo);

            await Eventually.UntilAsync(async () => await a.QueueLengthAsync(a.PayoutsQueue) == 0, "both copies were handled");
        }
        finally
        {
            receivesA.Open();
            receivesB.Open();
        }

        Assert.Equal(["A", "B"], race.Arrived.Order().ToArray());
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        int Lost(PayproAppHarness app) =>
            app.Logs.GetSnapshot().Count(r => r.Id.Name == nameof(FunctionsLog.SubmittedElsewhere)
                && r.GetStructuredStateValue("TradeNo") == tradeNo);
        Assert.True(Lost(a) + Lost(b) == 1, "exactly one instance lost the insert and did nothing");
        await a.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        Assert.Single(await a.StateChangesAsync(tradeNo), h => h.Verdict == "submitting");
        Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        Assert.Equal("payout.succeeded", Assert.Single(await a.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
    }

    private static void Instance(IServiceCollection services, string name, RaceGate race, ReceiveGate receives)
    {
        services.AddSingleton<IDueIndex>(sp => new RacingIndex(sp.GetRequiredService<IndexPartitions>(), race, name));
        var options = new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64 };
        options.AddPolicy(receives, Azure.Core.HttpPipelinePosition.PerCall);
        services.AddSingleton(sp => new Azure.Storage.Queues.QueueServiceClient(
            sp.GetRequiredService<IConfiguration>()["AzureWebJobsStorage"],
            options));
    }

    /// <summary>
    /// Fails the first scheduling of chosen tradeNos, as a storage hiccup would; nothing was written, so the retry starts afresh.
    /// </summary>
    private sealed class FirstScheduleFails(IEnumerable<string> tradeNos)
    {
        private readonly ConcurrentDictionary<string, int> _pending = new(tradeNos.Select(t => KeyValuePair.Create(t, 0)));
        private int _failures;

        public int Failures => Volatile.Read(ref _failures);

        public bool ShouldFail(string tradeNo)
        {
            if (!_pending.TryRemove(tradeNo, out _))
            {
                return false;
            }
            Interlocked.Increment(ref _failures);
            return true;
        }
    }

    private sealed class FlakyIndex(IndexPartitions partitions, FirstScheduleFails flaky) : DueIndex(partitions)
    {
        public override Task<DueEntry> ScheduleNewAsync(
            string tradeNo,
            TransactionKind kind,
            DateTimeOffset createdAt,
            DateTimeOffset dueAt,
            CancellationToken cancellationToken) =>
            flaky.ShouldFail(tradeNo)
                ? throw new RequestFailedException(503, "Injected: the table service is briefly unavailable.")
                : base.ScheduleNewAsync(tradeNo, kind, createdAt, dueAt, cancellationToken);
    }

    /// <summary>Calls Paypro, then fails once as if the process died before it could record the answer.</summary>
    private sealed class CrashAfterCreate(
        IHttpClientFactory factory,
        IOptions<PayproClientOptions> options,
        IPayproSecretSource secrets,
        TimeProvider time,
        ILogger<PayproClient> logger)
        : PayproClient(factory, options, secrets, time, logger)
    {
        private int _calls;
        private int _crashes;

        public int Calls => Volatile.Read(ref _calls);
        public int Crashes => Volatile.Read(ref _crashes);

        public override async Task<PayproCreateResult> CreatePayoutAsync(
            PayoutCreateOptions options,
            CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            var result = await base.CreatePayoutAsync(options, cancellationToken);
            if (Interlocked.CompareExchange(ref _crashes, 1, 0) == 0)
            {
                throw new InvalidOperationException("Injected: the process stopped before the answer was recorded.");
            }
            return result;
        }
    }

    /// <summary>Holds the first scheduling of the racing tradeNo in each instance until both instances got there.</summary>
    private sealed class RaceGate(string tradeNo)
    {
        private readonly TaskCompletionSource _both = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentDictionary<string, bool> _arrived = new();

        public string TradeNo { get; } = tradeNo;

        public IReadOnlyCollection<string> Arrived => [.. _arrived.Keys];

        public async Task ArriveAsync(string instance)
        {
            if (!_arrived.TryAdd(instance, true))
            {
                return;
            }
            if (_arrived.Count == 2)
            {
                _both.TrySetResult();
            }
            await _both.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    private sealed class RacingIndex(IndexPartitions partitions, RaceGate race, string instance) : DueIndex(partitions)
    {
        public override async Task<DueEntry> ScheduleNewAsync(
            string tradeNo,
            TransactionKind kind,
            DateTimeOffset createdAt,
            DateTimeOffset dueAt,
            CancellationToken cancellationToken)
        {
            if (tradeNo == race.TradeNo)
            {
                await race.ArriveAsync(instance);
            }
            return await base.ScheduleNewAsync(tradeNo, kind, createdAt, dueAt, cancellationToken);
        }
    }

    /// <summary>Holds an instance's receives from one queue while closed, so the test decides which instance gets a message.</summary>
    private sealed class ReceiveGate(string queue, bool open) : Azure.Core.Pipeline.HttpPipelinePolicy
    {
        private volatile TaskCompletionSource _open = Opened(open);
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public void Close() => _open = Opened(false);

        public void Open() => _open.TrySetResult();

        public override void Process(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            WaitAsync(message).AsTask().GetAwaiter().GetResult();
            ProcessNext(message, pipeline);
        }

        public override async ValueTask ProcessAsync(
            Azure.Core.HttpMessage message,
            ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            await WaitAsync(message);
            await ProcessNextAsync(message, pipeline);
        }

        private async ValueTask WaitAsync(Azure.Core.HttpMessage message)
        {
            var request = message.Request;
            var isReceive = request.Method == Azure.Core.RequestMethod.Get
                && request.Uri.Path.EndsWith($"/{queue}/messages", StringComparison.Ordinal)
                && !request.Uri.Query.Contains("peekonly", StringComparison.OrdinalIgnoreCase);
            if (!isReceive || _open.Task.IsCompleted)
            {
                return;
            }
            Interlocked.Increment(ref _waiting);
            try
            {
                await _open.Task.WaitAsync(message.CancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        private static TaskCompletionSource Opened(bool open)
        {
            var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (open)
            {
                source.SetResult();
            }
            return source;
        }
    }
}
