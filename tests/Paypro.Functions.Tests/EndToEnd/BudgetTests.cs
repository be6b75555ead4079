using System.Net;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paypro.Functions.Configuration;
using Paypro.Functions.Storage;
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
        var tradeNo = PayproAppHarness.NewTradeNo("BUDGET");
        app.Storage.Reset();

        await app.EnqueuePayoutAsync(tradeNo, mobile: "254712345613");
        await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);

        var requests = app.Storage.Requests;
        Assert.True(requests.Count <= 4, $"{requests.Count} Table Storage round trips until submitted (budget 4):\n{string.Join("\n", requests)}");
        var calls = sandbox.Ledger.Requests;
        Assert.Equal("/api/payout", Assert.Single(calls).Endpoint);
        Assert.Equal(tradeNo, calls[0].TradeNo);
    }

    [Fact]
    public async Task A_signed_notify_for_a_pending_payout_costs_at_most_three_table_round_trips()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(1));
        // The event goes out after the answer, off the request path; holding it makes the count exact.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, configure: services =>
            services.AddSingleton<OutboxDispatcher>(sp => new HeldDispatcher(sp.GetRequiredService<TransactionStore>(), sp.GetRequiredService<QueueServiceClient>(),
                sp.GetRequiredService<QueueNames>(), sp.GetRequiredService<ILogger<OutboxDispatcher>>(), release.Task)));
        var tradeNo = PayproAppHarness.NewTradeNo("NBUDGET");
        await app.EnqueuePayoutAsync(tradeNo, mobile: "254712345613");
        await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);
        app.Storage.Reset();

        var response = await app.PostSignedNotifyAsync(PayproAppHarness.NotifyFields(tradeNo, "0000"));

        var requests = app.Storage.Requests;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync());
        Assert.True(requests.Count <= 3, $"{requests.Count} Table Storage round trips for one notify (budget 3: read, write, audit):\n{string.Join("\n", requests)}");
        Assert.Equal(TransactionState.Succeeded, (await app.GetAsync(tradeNo))!.State);

        // The event was written with the change and goes out once released.
        Assert.Empty(await app.EventsForAsync(tradeNo));
        release.SetResult();
        Assert.Equal("payout.succeeded", Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
    }

    private sealed class HeldDispatcher(TransactionStore store, QueueServiceClient queues, QueueNames names, ILogger<OutboxDispatcher> logger, Task release)
        : OutboxDispatcher(store, queues, names, logger)
    {
        public override async Task<int> DispatchAsync(string tradeNo, CancellationToken cancellationToken)
        {
            await release.WaitAsync(cancellationToken);
            return await base.DispatchAsync(tradeNo, cancellationToken);
        }
    }
}
