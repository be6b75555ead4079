using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// "Not sent" invites a retry with a new tradeNo, so it needs evidence: Paypro not knowing the tradeNo after the grace
/// period, while its status queries are known to work. A gateway that refuses every query alike (a secret rotated out of
/// step, another merchantNo) must never make executed payouts "never sent".
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class QueryChannelTests(AzuriteFixture azurite)
{
    private const int Payouts = 20;

    [Fact]
    public async Task While_every_query_is_answered_8000_no_payout_is_declared_never_sent_and_once_it_is_lifted_they_resolve()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var known = await app.ProveQueryChannelAsync();

        // From here Paypro answers every payout query "8000", for what it has too.
        var refuseQueries = sandbox.Faults.Add(new SandboxFault
        {
            Endpoint = TransactionKinds.QueryPath(TransactionKind.Payout),
            Kind = FaultKind.OrderError,
            Count = null,
        });
        // Twenty payouts that Paypro executes, whose create answers are lost, and whose callbacks never come.
        sandbox.Faults.Add(new SandboxFault
        {
            Endpoint = TransactionKinds.CreatePath(TransactionKind.Payout),
            Kind = FaultKind.ExecuteThenTimeout,
            Count = Payouts,
        });
        sandbox.Faults.Add(new SandboxFault
        {
            Endpoint = TransactionKinds.CreatePath(TransactionKind.Payout),
            Kind = FaultKind.DropCallback,
            Count = null,
        });
        var tradeNos = Enumerable.Range(0, Payouts).Select(_ => TestTradeNos.New("Q8")).ToArray();
        foreach (var tradeNo in tradeNos)
        {
            await app.EnqueuePayoutAsync(tradeNo);
        }
        foreach (var tradeNo in tradeNos)
        {
            await app.WaitForStateAsync(tradeNo, TransactionState.Unknown);
        }
        Assert.All(tradeNos, t => Assert.True(sandbox.Ledger.Entries.Any(e => e.TradeNo == t), $"Paypro did not execute {t}"));

        // Within the grace period: the payout Paypro had accepted is answered "not found", which only a broken channel does.
        app.Clock.Skip(PayproAppHarness.MaxBackoff);
        await app.PollAsync();
        Assert.Contains(sandbox.Ledger.Requests, r => r.TradeNo == known && r.Fault == FaultKind.OrderError);

        // Past the grace period, and past the window of the last found answer: still nothing is declared never sent.
        app.Clock.Skip(PayproAppHarness.UnknownGracePeriod + TimeSpan.FromMinutes(15));
        for (var round = 0; round < 3; round++)
        {
            app.Clock.Skip(PayproAppHarness.MaxBackoff + QueryChannel.ProbeInterval);
            await app.PollAsync();
        }
        foreach (var tradeNo in tradeNos)
        {
            var record = (await app.GetAsync(tradeNo))!;
            Assert.Equal(TransactionState.Unknown, record.State);
            Assert.False(record.NotSent);
            Assert.Empty(await app.EventsForAsync(tradeNo));
        }
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Id.Name == LogMarkers.QueriesFailing);
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Message.Contains("the money never left", StringComparison.Ordinal));

        // The fault is lifted: each payout resolves by its query, as Paypro executed it, and nothing is paid twice.
        Assert.True(sandbox.Faults.Remove(refuseQueries));
        foreach (var tradeNo in tradeNos)
        {
            var record = await app.PollUntilAsync(tradeNo, TransactionState.Succeeded);
            Assert.False(record.NotSent);
            Assert.Single(sandbox.Ledger.CreateAttempts(tradeNo));
            Assert.Single(sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
            Assert.Equal("payout.succeeded", Assert.Single(await app.WaitForEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task A_new_deployment_declares_nothing_never_sent_until_a_query_has_found_a_transaction()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("NEW");

        // Paypro answers 5000 and executes nothing: a payout it never saw.
        await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.SystemError);
        await app.WaitForStateAsync(tradeNo, TransactionState.Unknown);
        app.Clock.Skip(PayproAppHarness.UnknownGracePeriod);
        for (var round = 0; round < 2; round++)
        {
            app.Clock.Skip(PayproAppHarness.MaxBackoff);
            await app.PollAsync();
        }
        Assert.Equal(TransactionState.Unknown, (await app.GetAsync(tradeNo))!.State);
        Assert.Null(await app.UncountedOperations.GetQueryChannelMarkAsync(CancellationToken.None));
        Assert.Contains(
            app.Logs.GetSnapshot(),
            r => r.Id.Name == LogMarkers.QueriesFailing
                && r.Message.Contains("no status query has found a transaction yet", StringComparison.Ordinal));

        // A query finds a transaction: now "not found" is evidence, and the payout fails as never sent.
        await app.ProveQueryChannelAsync();
        var record = await app.PollUntilAsync(tradeNo, TransactionState.Failed);
        Assert.True(record.NotSent);
        Assert.Contains("never left", record.Reason);
    }

    [Fact]
    public async Task The_channel_is_known_good_per_credentials_kept_as_a_fingerprint_that_does_not_reveal_the_secret()
    {
        // A found answer counts for the credentials it was made under (a rotated secret starts afresh), within the window,
        // and not once a query under the same credentials has failed to find a transaction Paypro had.
        var mark = new QueryChannelMark(DateTimeOffset.UnixEpoch, "aaaa", "T-1", TransactionKind.Payout, null, null);
        Assert.True(mark.IsGood("aaaa", DateTimeOffset.UnixEpoch + TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15)));
        Assert.False(mark.IsGood("aaaa", DateTimeOffset.UnixEpoch + TimeSpan.FromMinutes(16), TimeSpan.FromMinutes(15)));
        Assert.False(mark.IsGood("bbbb", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(15)));
        Assert.False((mark with { FailedAt = DateTimeOffset.UnixEpoch, FailedCredentials = "aaaa" })
            .IsGood("aaaa", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(15)));
        Assert.True((mark with { FailedAt = DateTimeOffset.UnixEpoch, FailedCredentials = "bbbb" })
            .IsGood("aaaa", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(15)));

        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        await app.ProveQueryChannelAsync();
        var stored = (await app.UncountedOperations.GetQueryChannelMarkAsync(CancellationToken.None))!;
        Assert.Matches("^[0-9a-f]{32}$", stored.FoundCredentials);
        Assert.Equal(TransactionKind.Payout, stored.Kind);
        Assert.DoesNotContain(sandbox.Options.AppSecret, stored.FoundCredentials!, StringComparison.Ordinal);
    }
}
