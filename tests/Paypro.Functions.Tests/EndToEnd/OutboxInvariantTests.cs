using System.Net;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Outbox;
using Paypro.Functions.Storage;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// The outbox invariant (docs/architecture.md): a transaction leaves the due index only when it is final and every
/// event it wrote is on the events queue. Each test takes the events queue away (or stops the process between two
/// writes) and ends with every written event on the queue, with one id per event, once the fault is gone.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class OutboxInvariantTests(AzuriteFixture azurite)
{
    /// <summary>
    /// Longer than any back-off of the harness (<see cref="PayproAppHarness.MaxBackoff"/> plus its jitter): every pending entry is due
    /// after it.
    /// </summary>
    private static readonly TimeSpan PastBackoff = 2 * PayproAppHarness.MaxBackoff;

    public static TheoryData<string> FinalPaths => ["notify", "poll-answer", "poll-not-found", "create-answer", "rejected"];

    [Theory]
    [MemberData(nameof(FinalPaths))]
    public async Task A_final_event_whose_send_fails_reaches_the_queue_once_the_queue_is_back(string path)
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        var outage = new EventsOutage();
        await using var app = await StartAsync(sandbox, outage);
        var tradeNo = TestTradeNos.New("OBX");
        TransactionState final;
        switch (path)
        {
            case "notify":
                await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.LongProcessing);
                await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);
                outage.Down = true;
                using (var response = await app.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000")))
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }
                final = TransactionState.Succeeded;
                break;
            case "poll-answer":
                sandbox.DropCallbacks(TransactionKind.Payout, tradeNo);
                await app.EnqueuePayoutAsync(tradeNo);
                await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);
                outage.Down = true;
                final = (await app.PollUntilAsync(tradeNo, TransactionState.Succeeded)).State;
                break;
            case "poll-not-found":
                // Paypro answers 5000 and executes nothing; after the grace period "not found" fails it as never sent.
                await app.ProveQueryChannelAsync();
                await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.SystemError);
                await app.WaitForStateAsync(tradeNo, TransactionState.Unknown);
                outage.Down = true;
                app.Clock.Skip(PayproAppHarness.UnknownGracePeriod);
                final = (await app.PollUntilAsync(tradeNo, TransactionState.Failed)).State;
                break;
            case "create-answer":
                // Paypro refuses the create call (8000): failed by its answer, in the submit invocation.
                outage.Down = true;
                await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.Refused);
                final = (await app.WaitForStateAsync(tradeNo, TransactionState.Failed)).State;
                break;
            default:
                outage.Down = true;
                await app.EnqueuePayoutAsync(tradeNo, amount: 10);
                final = (await app.WaitForStateAsync(tradeNo, TransactionState.Rejected)).State;
                break;
        }

        // The send follows the write that made the record final: the state can be seen a moment before the send is refused.
        await Eventually.UntilAsync(() => outage.Refused > 0, "the event's send was refused", TimeSpan.FromSeconds(30));
        await PollWhileDownAsync(app, tradeNo);

        outage.Down = false;
        await app.PollAsync();
        var type = "payout." + (final == TransactionState.Succeeded
            ? "succeeded"
            : final == TransactionState.Rejected ? "rejected" : "failed");
        Assert.Equal(type, Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
        Assert.Null(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));
    }

    [Theory]
    [InlineData("stuck")]
    [InlineData("anomaly")]
    public async Task An_event_of_a_pending_transaction_whose_send_failed_is_sent_after_it_becomes_final(string kind)
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        var outage = new EventsOutage();
        await using var app = await StartAsync(sandbox, outage, new Dictionary<string, string?> { ["Poll:StuckAfter"] = "00:10:00" });
        var tradeNo = await app.SubmittedPayoutAsync("PEV");

        outage.Down = true;
        if (kind == "stuck")
        {
            app.Clock.Skip(TimeSpan.FromMinutes(11));
            await app.PollAsync();
            Assert.NotNull((await app.GetAsync(tradeNo))!.StuckAt);
        }
        else
        {
            // Paypro reports another amount while the payout is pending: kept as an anomaly, not applied.
            using var response = await app.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000", amount: "999"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Single((await app.GetAsync(tradeNo))!.Anomalies);
        }
        Assert.True(outage.Refused > 0, $"the {kind} event's send was refused");
        Assert.Empty(await app.EventsForAsync(tradeNo));

        // The final event goes out at once; the earlier one is still owed, so the transaction stays due.
        outage.Down = false;
        using (var response = await app.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal("payout.succeeded", Assert.Single(await app.EventsForAsync(tradeNo)).GetProperty("type").GetString());
        Assert.NotNull(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));

        app.Clock.Skip(PastBackoff);
        await app.PollAsync();
        var events = await app.ExactlyEventsAsync(tradeNo, 2);
        Assert.Equal(
            new[] { "payout." + kind, "payout.succeeded" },
            events.Select(e => e.GetProperty("type").GetString()!).Order().ToArray());
        Assert.Null(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));
    }

    [Fact]
    public async Task The_events_of_a_pending_transaction_are_not_sent_again_at_every_poll()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        var outage = new EventsOutage();
        await using var app = await StartAsync(sandbox, outage, new Dictionary<string, string?> { ["Poll:StuckAfter"] = "00:10:00" });
        var tradeNo = await app.SubmittedPayoutAsync("PNA");

        // One stuck event sent by the check that flagged it, one sent by a later check after a failed send: each once.
        outage.Down = true;
        app.Clock.Skip(TimeSpan.FromMinutes(11));
        await app.PollAsync();
        outage.Down = false;
        for (var i = 0; i < 4; i++)
        {
            app.Clock.Skip(PastBackoff);
            await app.PollAsync();
        }

        Assert.Equal("payout.stuck", Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
        Assert.Empty((await app.GetAsync(tradeNo))!.Unsent);
        Assert.Equal(1, outage.Sent);
    }

    [Fact]
    public async Task An_event_written_while_the_due_entry_is_being_removed_keeps_the_transaction_due()
    {
        // The success is written and announced; its invocation is about to take the transaction out of the due index.
        await using var held = await FinaliseHeldAtRemovalAsync("RACE");
        var (app, outage, tradeNo) = (held.App, held.Outage, held.TradeNo);

        // Meanwhile a contradicting result is written (an anomaly of the final payout), and its send fails.
        outage.Down = true;
        using (var response = await app.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "00029", message: "REJECTED_TRANSACTION")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Single((await app.GetAsync(tradeNo))!.Anomalies);
        await held.ReleaseAsync();

        Assert.NotNull(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));
        outage.Down = false;
        app.Clock.Skip(PastBackoff);
        await app.PollAsync();
        await AssertEveryEventOnceByIdAsync(app, tradeNo, "payout.succeeded", "payout.anomaly");
        Assert.Null(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_poll_that_reads_a_final_record_while_its_writer_takes_it_out_of_the_due_index_sends_nothing_again()
    {
        // The success is written and sent; the stored record still names its event, and the entry is still due, while its
        // invocation is about to take the transaction out of the due index. A poll comes to the entry just then.
        await using var held = await FinaliseHeldAtRemovalAsync("DUP");
        var (app, outage, tradeNo) = (held.App, held.Outage, held.TradeNo);
        Assert.Equal(1, outage.Sent);
        Assert.NotEmpty((await app.GetAsync(tradeNo))!.Unsent);
        app.Clock.Skip(PastBackoff);
        await app.PollAsync();
        await held.ReleaseAsync();

        Assert.Equal("payout.succeeded", Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
        Assert.Equal(1, outage.Sent);
        Assert.Null(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));
    }

    public static TheoryData<string> StopPoints =>
    [
        "after-schedule",
        "after-insert",
        "after-create-call",
        "after-final-write",
        "after-send",
        "after-move",
    ];

    /// <summary>
    /// The process stops between two writes: a seam throws right after one of them (or right after the send), and
    /// nothing of that invocation runs on, as after a kill. Redelivery, Paypro's retries and the poller finish the job.
    /// </summary>
    [Theory]
    [MemberData(nameof(StopPoints))]
    public async Task A_process_stopped_between_two_writes_loses_no_event_and_pays_once(string point)
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        var tradeNo = TestTradeNos.New("STOP");
        var stop = new StopPoint(point, tradeNo);
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, configure: services =>
        {
            services.AddSingleton<ITransactionStore>(sp =>
                new StoppingStore(
                    sp.GetRequiredService<TableServiceClient>(),
                    sp.GetRequiredService<IOptions<StorageOptions>>(),
                    sp.GetRequiredService<TimeProvider>(),
                    stop));
            services.AddSingleton<IDueIndex>(sp => new StoppingIndex(sp.GetRequiredService<IndexPartitions>(), stop));
            services.AddSingleton<OutboxDispatcher>(sp => new StoppingDispatcher(
                sp.GetRequiredService<ITransactionStore>(),
                sp.GetRequiredService<QueueServiceClient>(),
                sp.GetRequiredService<QueueNames>(),
                sp.GetRequiredService<ILogger<OutboxDispatcher>>(),
                stop));
        });
        sandbox.DropCallbacks(TransactionKind.Payout, tradeNo);
        var submitPath = point is "after-schedule" or "after-insert" or "after-create-call";
        // On the submit path Paypro executes it (only polling brings the result); later, the test's callback does.
        await app.EnqueuePayoutAsync(tradeNo, mobile: submitPath ? TestMobiles.Success : TestMobiles.LongProcessing);

        if (point is "after-schedule" or "after-insert" or "after-create-call")
        {
            // The message comes back after its visibility timeout; the create call is made at most once.
            await Eventually.UntilAsync(() => stop.Fired, $"the stop {point}");
            if (point == "after-insert")
            {
                // The record was written but the create call never made: Paypro never heard of it.
                await app.ProveQueryChannelAsync();
                app.Clock.Skip(PayproAppHarness.UnknownGracePeriod);
            }
            else
            {
                await Eventually.UntilAsync(() => sandbox.Ledger.CreateAttempts(tradeNo).Count > 0, "the create call");
            }
            await SettleAsync(app, sandbox, tradeNo, point == "after-insert");
        }
        else
        {
            await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);
            if (point == "after-move")
            {
                app.Clock.Skip(PastBackoff);
                await app.PollAsync();
            }
            using (var response = await app.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000")))
            {
                // A stop inside the notify answers no OK, so Paypro would call again; the poller does not need it to.
                Assert.Equal(
                    point is "after-final-write" or "after-send" ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK,
                    response.StatusCode);
            }
            Assert.True(stop.Fired, $"the stop {point} fired");
            await SettleAsync(app, sandbox, tradeNo, notSent: false);
        }

        Assert.True(sandbox.Ledger.CreateAttempts(tradeNo).Count <= 1, "at most one create call");
        Assert.True(sandbox.Ledger.Entries.Count(e => e.TradeNo == tradeNo) <= 1, "paid at most once");
    }

    [Fact]
    public async Task A_record_insert_whose_answer_was_lost_is_recognised_as_its_own_and_the_payout_proceeds_once()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        var tradeNo = TestTradeNos.New("LOST");
        var lost = new LostInsertAnswer(tradeNo);
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, configure: services =>
        {
            // The SDK's own retry, after an answer lost on the wire: the retried insert conflicts with the insert itself.
            var options = new TableClientOptions
            {
                Retry = { MaxRetries = 2, Delay = TimeSpan.FromMilliseconds(20), NetworkTimeout = TimeSpan.FromSeconds(5) },
            };
            options.AddPolicy(lost, Azure.Core.HttpPipelinePosition.PerRetry);
            services.AddSingleton(new TableServiceClient(azurite.ConnectionString, options));
        });

        await app.EnqueuePayoutAsync(tradeNo);

        await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        Assert.Equal(1, lost.Lost);
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        Assert.Contains(
            app.Logs.GetSnapshot(),
            r => r.Id.Name == nameof(FunctionsLog.OwnInsertRecognised) && r.GetStructuredStateValue("TradeNo") == tradeNo);
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Id.Name == nameof(FunctionsLog.SubmittedElsewhere));
        Assert.Equal("payout.succeeded", Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_entry_whose_record_insert_is_slow_is_not_taken_for_an_orphan()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        var tradeNo = TestTradeNos.New("SLOW");
        var insert = new Gate();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, configure: services =>
            services.AddSingleton<ITransactionStore>(sp => new SlowInsertStore(
                sp.GetRequiredService<TableServiceClient>(),
                sp.GetRequiredService<IOptions<StorageOptions>>(),
                sp.GetRequiredService<TimeProvider>(),
                tradeNo,
                insert)));

        await app.EnqueuePayoutAsync(tradeNo);
        await insert.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        // The entry is due (past Poll:FirstCheckAfter) and has no record: the poller keeps it.
        app.Clock.Skip(PastBackoff);
        await app.PollAsync();
        Assert.NotNull(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));
        Assert.Contains(
            app.Logs.GetSnapshot(),
            r => r.Id.Name == nameof(FunctionsLog.OrphanKept) && r.GetStructuredStateValue("TradeNo") == tradeNo);

        insert.Release();
        await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        Assert.Equal("payout.succeeded", Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
        Assert.Null(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));
    }

    [Fact]
    public async Task An_entry_without_a_record_past_the_insert_window_is_removed()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("ORPH");
        var now = app.Clock.GetUtcNow();
        await app.UncountedDue.ScheduleAsync(tradeNo, now, 0, now, CancellationToken.None);
        var window = app.Store.RecordInsertWindow;

        app.Clock.Skip(window - TimeSpan.FromSeconds(10));
        await app.PollAsync();
        Assert.NotNull(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));

        app.Clock.Skip(TimeSpan.FromMinutes(1) + PayproAppHarness.MaxBackoff);
        await app.PollAsync();
        Assert.Null(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));
        Assert.Contains(
            app.Logs.GetSnapshot(),
            r => r.Id.Name == nameof(FunctionsLog.OrphanRemoved) && r.GetStructuredStateValue("TradeNo") == tradeNo);
    }

    [Fact]
    public void The_insert_window_follows_the_storage_clients_retry_settings()
    {
        // The SDK's defaults: 3 retries, 100 s network timeout, exponential back-off up to 1 minute.
        var defaults = new TableClientOptions().Retry;
        Assert.Equal(
            2 * (4 * TimeSpan.FromSeconds(100) + 3 * TimeSpan.FromMinutes(1)) + TimeSpan.FromMinutes(1),
            TransactionStore.InsertWindowOf(defaults));
        var quick = new TableClientOptions
        {
            Retry = { MaxRetries = 1, NetworkTimeout = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(2) },
        }.Retry;
        Assert.Equal(
            2 * (2 * TimeSpan.FromSeconds(5) + TimeSpan.FromSeconds(2)) + TimeSpan.FromMinutes(1),
            TransactionStore.InsertWindowOf(quick));
    }

    [Fact]
    public async Task A_transaction_has_one_due_entry_however_often_its_next_check_moves()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = await app.SubmittedPayoutAsync("ONE");

        for (var i = 0; i < 10; i++)
        {
            // An unsigned callback brings the next check forward; a poll moves it later again.
            using var response = await app.PostNotifyAsync(NotifyBodies.Json(NotifyBodies.Fields(tradeNo, "0000"), sign: null));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (i % 3 == 0)
            {
                app.Clock.Skip(PastBackoff);
                await app.PollAsync();
            }
        }

        var entries = await app.UncountedDue.GetScheduledAsync(1_000, CancellationToken.None);
        Assert.Single(entries, e => e.TradeNo == tradeNo);
    }

    /// <summary>
    /// A payout submitted, then made final by a signed success callback whose invocation is held just before it takes the
    /// transaction out of the due index (its event has been sent by then).
    /// </summary>
    private async Task<HeldFinalisation> FinaliseHeldAtRemovalAsync(string prefix)
    {
        var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        var outage = new EventsOutage();
        var tradeNo = TestTradeNos.New(prefix);
        var removal = new Gate();
        var app = await StartAsync(sandbox, outage, configure: services => services.AddSingleton<IDueIndex>(sp =>
            new HeldRemovalIndex(sp.GetRequiredService<IndexPartitions>(), tradeNo, removal)));
        var held = new HeldFinalisation(sandbox, app, outage, tradeNo, removal);
        try
        {
            await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.LongProcessing);
            await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);
            held.Finalising = app.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000"));
            await removal.Reached.WaitAsync(TimeSpan.FromSeconds(30));
            return held;
        }
        catch
        {
            await held.DisposeAsync();
            throw;
        }
    }

    private Task<PayproAppHarness> StartAsync(
        SandboxHost sandbox,
        EventsOutage outage,
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null) =>
        PayproAppHarness.StartAsync(azurite, sandbox, settings, services =>
        {
            var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
            options.AddPolicy(outage, Azure.Core.HttpPipelinePosition.PerCall);
            services.AddSingleton(sp => new QueueServiceClient(
                sp.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["AzureWebJobsStorage"],
                options));
            configure?.Invoke(services);
        });

    /// <summary>Polls twice while the events queue is down: no event goes out, and the transaction stays due.</summary>
    private static async Task PollWhileDownAsync(PayproAppHarness app, string tradeNo)
    {
        for (var i = 0; i < 2; i++)
        {
            app.Clock.Skip(PastBackoff);
            await app.PollAsync();
            Assert.NotNull(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));
        }
        Assert.Empty(await app.EventsForAsync(tradeNo));
    }

    /// <summary>Polls until the transaction is final and out of the due index, then checks its events.</summary>
    private static async Task SettleAsync(PayproAppHarness app, SandboxHost sandbox, string tradeNo, bool notSent)
    {
        await Eventually.UntilAsync(async () =>
        {
            app.Clock.Skip(PastBackoff);
            await app.PollAsync();
            var record = await app.GetAsync(tradeNo);
            return record is { } r
                && r.State.IsFinal()
                && await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None) is null;
        }, $"{tradeNo} is final and out of the due index");
        var record = (await app.GetAsync(tradeNo))!;
        Assert.Equal(notSent, record.NotSent);
        await AssertEveryEventOnceByIdAsync(app, tradeNo, notSent ? "payout.failed" : "payout.succeeded");
        if (!notSent)
        {
            Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        }
    }

    /// <summary>Each expected event type arrived, and every delivery of one event carries the same id.</summary>
    private static async Task AssertEveryEventOnceByIdAsync(PayproAppHarness app, string tradeNo, params string[] types)
    {
        IReadOnlyList<JsonElement> events = [];
        await Eventually.UntilAsync(async () =>
        {
            events = await app.EventsForAsync(tradeNo);
            return types.All(t => events.Any(e => e.GetProperty("type").GetString() == t));
        }, $"events {string.Join(", ", types)} for {tradeNo}");
        Assert.Equal(types.Order(), events.Select(e => e.GetProperty("type").GetString()!).Distinct().Order());
        foreach (var group in events.GroupBy(e => e.GetProperty("type").GetString()))
        {
            Assert.Single(group.Select(e => e.GetProperty("id").GetString()).Distinct());
        }
    }

    /// <summary>Refuses sends to the events queue while <see cref="Down"/>, as an unavailable queue service would.</summary>
    private sealed class EventsOutage : Azure.Core.Pipeline.HttpPipelinePolicy
    {
        private int _refused;
        private int _sent;

        public volatile bool Down;

        public int Refused => Volatile.Read(ref _refused);

        public int Sent => Volatile.Read(ref _sent);

        public override void Process(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            Check(message);
            ProcessNext(message, pipeline);
        }

        public override async ValueTask ProcessAsync(
            Azure.Core.HttpMessage message,
            ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            Check(message);
            await ProcessNextAsync(message, pipeline);
        }

        private void Check(Azure.Core.HttpMessage message)
        {
            var request = message.Request;
            if (request.Method != Azure.Core.RequestMethod.Post || !request.Uri.Path.Contains("/events-", StringComparison.Ordinal)
                || !request.Uri.Path.EndsWith("/messages", StringComparison.Ordinal))
            {
                return;
            }
            if (Down)
            {
                Interlocked.Increment(ref _refused);
                throw new RequestFailedException(503, "The events queue is unavailable (test outage).");
            }
            Interlocked.Increment(ref _sent);
        }
    }

    /// <summary>A finalising callback held at the due entry's removal, with the app and sandbox it runs on.</summary>
    private sealed class HeldFinalisation(SandboxHost sandbox, PayproAppHarness app, EventsOutage outage, string tradeNo, Gate removal)
        : IAsyncDisposable
    {
        public PayproAppHarness App { get; } = app;

        public EventsOutage Outage { get; } = outage;

        public string TradeNo { get; } = tradeNo;

        public Task<HttpResponseMessage>? Finalising { get; set; }

        /// <summary>Lets the held invocation go on, and checks that its callback was answered OK.</summary>
        public async Task ReleaseAsync()
        {
            removal.Release();
            using var response = await Finalising!;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        public async ValueTask DisposeAsync()
        {
            removal.Release();
            await App.DisposeAsync();
            await sandbox.DisposeAsync();
        }
    }

    /// <summary>A point a test holds an operation at until it releases it.</summary>
    private sealed class Gate
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public async Task PassAsync(CancellationToken cancellationToken)
        {
            _reached.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
        }

        public void Release() => _released.TrySetResult();
    }

    private sealed class HeldRemovalIndex(IndexPartitions partitions, string tradeNo, Gate gate) : DueIndex(partitions)
    {
        private int _held;

        public override async Task<bool> RemoveDueAsync(string trade, string? partition, ETag ifMatch, CancellationToken cancellationToken)
        {
            if (trade == tradeNo && Interlocked.Exchange(ref _held, 1) == 0)
            {
                await gate.PassAsync(cancellationToken);
            }
            return await base.RemoveDueAsync(trade, partition, ifMatch, cancellationToken);
        }
    }

    private sealed class SlowInsertStore(
        TableServiceClient tables,
        IOptions<StorageOptions> options,
        TimeProvider time,
        string tradeNo,
        Gate gate)
        : TransactionStore(tables, options, time)
    {
        public override async Task<WriteResult> WriteAsync(
            TransactionRecord record,
            bool isNew,
            string source,
            string? detail,
            DateTimeOffset at,
            OutboxRow? outboxRow,
            AuditEntry? audit,
            CancellationToken cancellationToken)
        {
            if (isNew && record.TradeNo == tradeNo)
            {
                await gate.PassAsync(cancellationToken);
            }
            return await base.WriteAsync(record, isNew, source, detail, at, outboxRow, audit, cancellationToken);
        }
    }

    /// <summary>
    /// Where the process "stops" once: an exception right after the named write, which nothing in the invocation handles.
    /// </summary>
    private sealed class StopPoint(string point, string tradeNo)
    {
        private int _fired;

        public bool Fired => Volatile.Read(ref _fired) == 1;

        public void At(string here, string trade)
        {
            if (here == point && trade == tradeNo && Interlocked.Exchange(ref _fired, 1) == 0)
            {
                throw new ProcessStoppedException(point);
            }
        }
    }

    private sealed class ProcessStoppedException(string point) : Exception($"The process stopped {point} (test seam).");

    private sealed class StoppingStore(TableServiceClient tables, IOptions<StorageOptions> options, TimeProvider time, StopPoint stop)
        : TransactionStore(tables, options, time)
    {
        public override async Task<WriteResult> WriteAsync(
            TransactionRecord record,
            bool isNew,
            string source,
            string? detail,
            DateTimeOffset at,
            OutboxRow? outboxRow,
            AuditEntry? audit,
            CancellationToken cancellationToken)
        {
            if (source == "create-call")
            {
                // The create call has been made; its answer is never written.
                stop.At("after-create-call", record.TradeNo);
            }
            var written = await base.WriteAsync(record, isNew, source, detail, at, outboxRow, audit, cancellationToken);
            stop.At(isNew ? "after-insert" : record.State.IsFinal() && source == "callback" ? "after-final-write" : "none", record.TradeNo);
            return written;
        }
    }

    private sealed class StoppingIndex(IndexPartitions partitions, StopPoint stop) : DueIndex(partitions)
    {
        public override async Task<DueEntry> ScheduleNewAsync(
            string tradeNo,
            TransactionKind kind,
            DateTimeOffset createdAt,
            DateTimeOffset dueAt,
            CancellationToken cancellationToken)
        {
            var entry = await base.ScheduleNewAsync(tradeNo, kind, createdAt, dueAt, cancellationToken);
            stop.At("after-schedule", tradeNo);
            return entry;
        }

        public override async Task<DueEntry?> MoveDueAsync(
            DueEntry entry,
            DateTimeOffset dueAt,
            int attempt,
            CancellationToken cancellationToken)
        {
            var moved = await base.MoveDueAsync(entry, dueAt, attempt, cancellationToken);
            stop.At("after-move", entry.TradeNo);
            return moved;
        }
    }

    private sealed class StoppingDispatcher(
        ITransactionStore store,
        QueueServiceClient queues,
        QueueNames names,
        ILogger<OutboxDispatcher> logger,
        StopPoint stop)
        : OutboxDispatcher(store, queues, names, logger)
    {
        public override async Task<bool> SendWrittenAsync(OutboxEvent written, CancellationToken cancellationToken)
        {
            var sent = await base.SendWrittenAsync(written, cancellationToken);
            stop.At("after-send", written.TradeNo);
            return sent;
        }
    }

    /// <summary>Loses the answer to the first batch that inserts the record of one tradeNo, after the service has applied it.</summary>
    private sealed class LostInsertAnswer(string tradeNo) : Azure.Core.Pipeline.HttpPipelinePolicy
    {
        private int _lost;

        public int Lost => Volatile.Read(ref _lost);

        public override void Process(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(
            Azure.Core.HttpMessage message,
            ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            var isInsert = IsRecordInsert(message);
            await ProcessNextAsync(message, pipeline);
            if (isInsert && message.Response.Status == 202 && Interlocked.CompareExchange(ref _lost, 1, 0) == 0)
            {
                throw new IOException("The connection was reset before the answer arrived (test).");
            }
        }

        private bool IsRecordInsert(Azure.Core.HttpMessage message)
        {
            if (message.Request.Method != Azure.Core.RequestMethod.Post
                || !message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal)
                || message.Request.Content is null)
            {
                return false;
            }
            using var buffer = new MemoryStream();
            message.Request.Content.WriteTo(buffer, CancellationToken.None);
            var body = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
            return body.Contains(tradeNo, StringComparison.Ordinal)
                && body.Contains("\"RowKey\":\"record\"", StringComparison.Ordinal)
                && body.Contains("\"State\":\"submitting\"", StringComparison.Ordinal)
                && !body.Contains("If-Match", StringComparison.OrdinalIgnoreCase);
        }
    }
}
