using System.Net;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// An unsigned callback is a hint: it moves the transaction's one due entry earlier and never adds a second, so a flood
/// of them cannot multiply the queries to Paypro.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class UnsignedHintTests(AzuriteFixture azurite)
{
    private const int Hints = 1_000;
    private const int Polls = 5;

    [Fact]
    public async Task A_thousand_unsigned_callbacks_for_one_pending_payout_leave_it_at_one_query_per_poll()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = await app.SubmittedPayoutAsync("HINT");
        var body = NotifyBodies.Json(NotifyBodies.Fields(tradeNo, "0000"), sign: null);

        await Parallel.ForEachAsync(Enumerable.Range(0, Hints), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, _) =>
        {
            using var response = await app.PostNotifyAsync(body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });
        Assert.Single(await app.UncountedDue.GetScheduledAsync(100, CancellationToken.None), e => e.TradeNo == tradeNo);

        int Queries() => sandbox.Ledger.Requests.Count(r => r.Endpoint == "/api/queryPayOutResult" && r.TradeNo == tradeNo);
        for (var poll = 1; poll <= Polls; poll++)
        {
            // Past any back-off, so the entry is due at every poll: the most queries the schedule allows.
            app.Clock.Skip(2 * PayproAppHarness.MaxBackoff);
            await app.PollAsync();
            Assert.True(Queries() <= poll, $"{Queries()} queries for {tradeNo} after {poll} poll(s)");
        }
        Assert.Equal(Polls, Queries());
        Assert.Equal(TransactionState.Processing, (await app.GetAsync(tradeNo))!.State);
    }

    [Fact]
    public async Task An_unsigned_callback_costs_one_write_beside_its_audit_row()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = await app.SubmittedPayoutAsync("HINTW");
        app.Storage.Reset();

        using var response = await app.PostNotifyAsync(NotifyBodies.Json(NotifyBodies.Fields(tradeNo, "0000"), sign: null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var writes = app.Storage.Requests.Where(r => !r.StartsWith("GET ", StringComparison.Ordinal)).ToList();
        Assert.True(
            writes.Count <= 2,
            $"{writes.Count} writes for one unsigned callback "
                + $"(at most the due entry moved and the audit row):\n{string.Join("\n", writes)}");
        Assert.Contains(writes, w => w.Contains(app.TablePrefix + "Due", StringComparison.Ordinal));
    }
}
