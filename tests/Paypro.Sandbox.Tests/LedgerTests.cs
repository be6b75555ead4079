using Microsoft.Extensions.Time.Testing;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests;

/// <summary>The ledger proves what was executed, how often it was asked for, and moves the balance.</summary>
public sealed class LedgerTests
{
    [Fact]
    public async Task Every_executed_transaction_is_recorded_with_its_details()
    {
        var before = TimeProvider.System.GetUtcNow();
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        await sandbox.Client.PayoutAsync("L-OUT", TestMobiles.Success, amount: "250");
        await sandbox.Client.PayinAsync("L-IN", TestMobiles.Rejected, sandbox.Receiver.NotifyUrl, amount: "60");
        await sandbox.Client.CheckoutAsync("L-CO", sandbox.Receiver.NotifyUrl, amount: "70");

        var entries = sandbox.Host.Ledger.Entries;

        Assert.Equal(["L-OUT", "L-IN", "L-CO"], entries.Select(e => e.TradeNo));
        Assert.Equal(
            [SandboxTransactionKind.Payout, SandboxTransactionKind.Payin, SandboxTransactionKind.Checkout],
            entries.Select(e => e.Kind));
        Assert.Equal([250L, 60L, 70L], entries.Select(e => e.Amount));
        Assert.Equal([TestMobiles.Success, TestMobiles.Rejected, null], entries.Select(e => e.Mobile));
        Assert.All(entries, e => Assert.Equal("0015", e.Status));
        Assert.All(entries, e => Assert.InRange(e.CreatedAt, before, TimeProvider.System.GetUtcNow()));
    }

    [Fact]
    public async Task Every_request_is_recorded_so_exactly_one_call_can_be_checked()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Endpoint = PayproPaths.Payout, Kind = FaultKind.HttpError });
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);
        await sandbox.Client.QueryPayoutAsync(tradeNo);

        var attempts = sandbox.Host.Ledger.CreateAttempts(tradeNo);
        Assert.Equal([null, "0000", "8000"], attempts.Select(a => a.Code));
        Assert.Equal([false, true, false], attempts.Select(a => a.Executed));
        Assert.Equal(1, attempts.Count(a => a.Executed));
        var requests = sandbox.Host.Ledger.Requests;
        Assert.Equal([1L, 2L, 3L, 4L], requests.Select(r => r.Sequence));
        Assert.False(requests[3].IsCreate);
        Assert.Equal(PayproPaths.QueryPayoutResult, requests[3].Endpoint);
    }

    [Fact]
    public async Task A_payout_freezes_its_amount_then_spends_it_on_success()
    {
        await using var sandbox = await TestSandbox.StartAsync(o =>
        {
            o.InitialBalance = 1000;
            o.SuccessDelay = TimeSpan.FromDays(30);
        });
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success, amount: "300");
        Assert.Equal(new SandboxBalance(700, 300, 0), sandbox.Host.Ledger.Balance);
        var frozen = await sandbox.Client.BalanceAsync();
        Assert.Equal("700.0000", frozen.Data.GetProperty("availableAmount").GetRawText());
        Assert.Equal("300.0000", frozen.Data.GetProperty("freezeAmount").GetRawText());

        sandbox.Host.SetTransactionStatus(SandboxTransactionKind.Payout, tradeNo, "0000");

        Assert.Equal(new SandboxBalance(700, 0, 0), sandbox.Host.Ledger.Balance);
    }

    [Fact]
    public async Task A_failed_payout_releases_its_amount()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.InitialBalance = 1000);
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Rejected, amount: "300");
        await sandbox.DeliveredCallbackAsync(tradeNo);

        Assert.Equal(new SandboxBalance(1000, 0, 0), sandbox.Host.Ledger.Balance);
    }

    [Fact]
    public async Task A_successful_payin_adds_to_unsettled_and_a_reversal_by_hand_takes_it_back()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.InitialBalance = 1000);
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayinAsync(tradeNo, TestMobiles.ImmediateSuccess, sandbox.Receiver.NotifyUrl, amount: "80");
        Assert.Equal(new SandboxBalance(1000, 0, 80), sandbox.Host.Ledger.Balance);

        sandbox.Host.SetTransactionStatus(SandboxTransactionKind.Payin, tradeNo, "00029", notify: false);
        Assert.Equal(new SandboxBalance(1000, 0, 0), sandbox.Host.Ledger.Balance);
    }

    [Theory]
    [InlineData("0015")]
    [InlineData("ok")]
    [InlineData("123")]
    public async Task Setting_a_status_that_is_not_final_is_refused_and_changes_nothing(string status)
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        await sandbox.Client.PayoutAsync("NF-1", TestMobiles.Success, amount: "100");

        var error = Assert.Throws<ArgumentException>(
            () => sandbox.Host.SetTransactionStatus(SandboxTransactionKind.Payout, "NF-1", status));

        Assert.Equal("status", error.ParamName);
        Assert.Equal("0015", sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, "NF-1")!.Status);
        Assert.Empty(sandbox.Host.Callbacks);
    }

    [Fact]
    public async Task Setting_a_status_of_an_unknown_transaction_returns_null()
    {
        await using var sandbox = await TestSandbox.StartAsync();

        Assert.Null(sandbox.Host.SetTransactionStatus(SandboxTransactionKind.Payout, "NOPE", "0000"));
        Assert.Null(sandbox.Host.Redeliver(SandboxTransactionKind.Payin, "NOPE"));
        Assert.Empty(sandbox.Host.Callbacks);
    }

    [Fact]
    public async Task Reset_empties_the_ledger_restores_the_balance_and_cancels_pending_results()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 7, 1, 9, 0, 0, TimeSpan.Zero));
        await using var sandbox = await TestSandbox.StartAsync(o =>
        {
            o.TimeScale = 1;
            o.InitialBalance = 1000;
            o.SuccessDelay = TimeSpan.FromSeconds(10);
        }, time);
        var pending = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(pending, TestMobiles.Success, amount: "100");
        await sandbox.Client.PayoutAsync(TestTradeNos.New(), TestMobiles.ImmediateSuccess, amount: "100");
        await Eventually.UntilAsync(() => sandbox.Host.Callbacks.Any(c => c.State == CallbackState.Delivered), "a callback is delivered");

        sandbox.Host.Reset();

        Assert.Empty(sandbox.Host.Ledger.Entries);
        Assert.Empty(sandbox.Host.Ledger.Requests);
        Assert.Empty(sandbox.Host.Callbacks);
        Assert.Empty(sandbox.Host.CallbackAttempts);
        Assert.Equal(new SandboxBalance(1000, 0, 0), sandbox.Host.Ledger.Balance);
        // The tradeNo is free again, and the old pending success never lands on the new transaction.
        await sandbox.Client.PayoutAsync(pending, TestMobiles.Rejected, amount: "100");
        time.Advance(TimeSpan.FromSeconds(10));
        var callback = await sandbox.DeliveredCallbackAsync(pending);
        Assert.Equal("00029", callback.Fields["status"]);
        Assert.Single(sandbox.Host.Callbacks);
        Assert.Equal("00029", sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, pending)!.Status);
        Assert.Equal(new SandboxBalance(1000, 0, 0), sandbox.Host.Ledger.Balance);
    }
}
