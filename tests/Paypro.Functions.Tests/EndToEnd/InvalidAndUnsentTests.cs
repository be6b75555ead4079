using Azure.Data.Tables;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>What never reaches Paypro: a tradeNo Paypro never saw, invalid requests (rejected) and unreadable messages (poison).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class InvalidAndUnsentTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_payout_Paypro_never_saw_fails_as_not_sent_after_the_grace_period()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        await app.ProveQueryChannelAsync();
        var tradeNo = TestTradeNos.New("NS");

        // Mobile ending 15: Paypro answers code 5000 and executes nothing.
        await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.SystemError);

        var unknown = await app.WaitForStateAsync(tradeNo, TransactionState.Unknown);
        Assert.False(unknown.NotSent);
        var attempt = Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        Assert.Equal("5000", attempt.Code);
        Assert.False(attempt.Executed);

        // Within the grace period (Poll:UnknownGracePeriod) "not found" decides nothing: the poll asks, and Paypro's
        // answer (8000, no such tradeNo) is the positive signal that it ran.
        app.Clock.Skip(PayproAppHarness.MaxBackoff);
        await app.PollAsync();
        Assert.Contains(sandbox.Ledger.Requests, r => r.Endpoint == "/api/queryPayOutResult" && r.TradeNo == tradeNo && r.Code == "8000");
        Assert.Equal(TransactionState.Unknown, (await app.GetAsync(tradeNo))!.State);
        Assert.Empty(await app.EventsForAsync(tradeNo));

        // Past it, the next "not found" fails the payout as never sent. The clock skips the period instead of waiting it out.
        app.Clock.Skip(PayproAppHarness.UnknownGracePeriod);
        var record = await app.PollUntilAsync(tradeNo, TransactionState.Failed);

        Assert.True(record.NotSent);
        Assert.Contains("never left", record.Reason);
        Assert.True(record.FinalAt - record.SubmittedAt >= PayproAppHarness.UnknownGracePeriod,
            $"failed {record.FinalAt - record.SubmittedAt} after it was sent, before the grace period ended");
        Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
        Assert.DoesNotContain(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        var failed = Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1));
        Assert.Equal("payout.failed", failed.GetProperty("type").GetString());
        Assert.True(failed.GetProperty("notSent").GetBoolean());
        Assert.Contains("never left", failed.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData(10, TestMobiles.Success, "amount")]
    [InlineData(120, "255712345600", "mobile")]
    public async Task A_message_with_a_valid_tradeNo_but_an_invalid_request_is_rejected_and_never_sent(
        long amount,
        string mobile,
        string field)
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("REJ");

        await app.EnqueuePayoutAsync(tradeNo, amount, mobile);

        var record = await app.WaitForStateAsync(tradeNo, TransactionState.Rejected);
        Assert.True(record.NotSent);
        Assert.Contains(field, record.Reason);
        var rejected = Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1));
        Assert.Equal("payout.rejected", rejected.GetProperty("type").GetString());
        Assert.True(rejected.GetProperty("notSent").GetBoolean());
        Assert.Empty(sandbox.Ledger.Requests);
        await Eventually.UntilAsync(async () => await app.QueueLengthAsync(app.PayoutsQueue) == 0, "the message was removed");
        Assert.Empty(await app.PeekAsync(app.PayoutsQueue + "-poison"));
    }

    [Fact]
    public async Task Messages_without_a_usable_tradeNo_go_to_the_poison_queue_as_they_were_and_change_nothing()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        string[] messages =
        [
            """{"amount":120,"mobile":"254712345600"}""",
            """{"tradeNo":"not a tradeNo!","amount":120,"mobile":"254712345600"}""",
            """{"tradeNo":12345,"amount":120,"mobile":"254712345600"}""",
            "pay 120 to 254712345600, thanks",
        ];

        foreach (var message in messages)
        {
            await app.EnqueueAsync(app.PayoutsQueue, message);
        }

        var poison = app.PayoutsQueue + "-poison";
        await Eventually.UntilAsync(
            async () => (await app.PeekAsync(poison)).Count == messages.Length,
            "every message reached the poison queue");
        Assert.Equal(messages.Order().ToArray(), (await app.PeekAsync(poison)).Order().ToArray());
        await Eventually.UntilAsync(async () => await app.QueueLengthAsync(app.PayoutsQueue) == 0, "the messages left the queue");
        Assert.Equal(messages.Length, app.Logs.GetSnapshot().Count(r => r.Id.Name == LogMarkers.PoisonMessage));
        // The log names the message, never its content (it may hold a mobile number).
        Assert.DoesNotContain(TestMobiles.Success, app.Logs.AllText());
        Assert.Empty(sandbox.Ledger.Requests);
        var transactions = app.Tables.GetTableClient(app.TablePrefix + "Transactions");
        Assert.Empty(await transactions.QueryAsync<TableEntity>(maxPerPage: 10).ToListAsync());
        Assert.Empty(await app.EventsAsync());
    }
}
