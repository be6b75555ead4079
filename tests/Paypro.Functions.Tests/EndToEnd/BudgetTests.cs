using System.Net;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paypro.Functions.Configuration;
using Paypro.Functions.Outbox;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>The design's budgets, counted on the wire (Table Storage round trips, requests reaching the sandbox), never timed.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class BudgetTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_payout_costs_one_call_to_Paypro_and_at_most_four_table_round_trips_until_it_is_submitted()
    {
        // Paypro keeps it processing for a day, so no callback or later work adds to the count.
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(1));
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("BUDGET");
        app.Storage.Reset();

        await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.LongProcessing);
        await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);

        var requests = app.Storage.Requests;
        Assert.True(
            requests.Count <= 4,
            $"{requests.Count} Table Storage round trips until submitted (budget 4):\n{string.Join("\n", requests)}");
        var calls = sandbox.Ledger.Requests;
        Assert.Equal("/api/payout", Assert.Single(calls).Endpoint);
        Assert.Equal(tradeNo, calls[0].TradeNo);
    }

    [Fact]
    public async Task A_signed_notify_that_makes_a_payout_final_costs_a_read_a_batch_the_event_send_and_leaving_the_due_index()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(1));
        // The event is sent inside the invocation, after the durable write; holding the send shows what recording cost.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var atSend = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        StorageCounter? counter = null;
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, configure: services =>
            services.AddSingleton<OutboxDispatcher>(sp => new HeldDispatcher(
                sp.GetRequiredService<ITransactionStore>(),
                sp.GetRequiredService<QueueServiceClient>(),
                sp.GetRequiredService<QueueNames>(),
                sp.GetRequiredService<ILogger<OutboxDispatcher>>(),
                () => atSend.TrySetResult(counter!.Requests),
                release.Task)));
        counter = app.Storage;
        var tradeNo = await app.SubmittedPayoutAsync("NBUDGET");
        app.Storage.Reset();

        var posting = app.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000"));
        var recording = await atSend.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(recording.Count <= 2,
            $"{recording.Count} Table Storage round trips to record one notify "
                + $"(budget 2: the read, one batch of record, revision, outbox row and audit row):\n{string.Join("\n", recording)}");
        Assert.Equal(TransactionState.Succeeded, (await app.GetAsync(tradeNo))!.State);
        Assert.False(posting.IsCompleted, "The notify was answered before its event was sent.");
        release.SetResult();
        using var response = await posting;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync());
        // Announcing: the event goes to the queue (not a table round trip), then the final record leaves the due index.
        // Nothing marks the outbox row sent: leaving the due index is the confirmation (the outbox invariant).
        var requests = app.Storage.Requests;
        Assert.True(
            requests.Count <= 3,
            $"{requests.Count} Table Storage round trips for one notify with its event (budget 2 + 1):\n{string.Join("\n", requests)}");
        Assert.Equal("payout.succeeded", Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
        Assert.Empty((await app.UncountedDue.GetDueAsync(app.Clock.GetUtcNow().AddYears(1), 1000, CancellationToken.None)).Entries);
    }

    [Fact]
    public async Task A_forged_notify_costs_one_audit_write_outside_the_partition_of_the_transaction_it_names()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(1));
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = await app.SubmittedPayoutAsync("FBUDGET");
        var history = (await app.UncountedStore.GetHistoryAsync(tradeNo, CancellationToken.None)).Count;
        app.Storage.Reset();

        using var response = await app.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000"), secret: "not-the-app-secret");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var request = Assert.Single(app.Storage.Requests);
        Assert.EndsWith(app.TablePrefix + "Audit", request, StringComparison.Ordinal);
        Assert.Equal(history, (await app.UncountedStore.GetHistoryAsync(tradeNo, CancellationToken.None)).Count);
    }

    private sealed class HeldDispatcher(
        ITransactionStore store,
        QueueServiceClient queues,
        QueueNames names,
        ILogger<OutboxDispatcher> logger,
        Action onSend,
        Task release)
        : OutboxDispatcher(store, queues, names, logger)
    {
        public override async Task<bool> SendWrittenAsync(OutboxEvent written, CancellationToken cancellationToken)
        {
            onSend();
            await release.WaitAsync(cancellationToken);
            return await base.SendWrittenAsync(written, cancellationToken);
        }
    }
}
