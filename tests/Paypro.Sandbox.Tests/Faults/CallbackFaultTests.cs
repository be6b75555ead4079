using Microsoft.Extensions.Time.Testing;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests.Faults;

/// <summary>Callback faults: dropped, duplicated, delayed and reordered callbacks.</summary>
public sealed class CallbackFaultTests
{
    [Fact]
    public async Task A_dropped_callback_is_never_sent()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Endpoint = PayproPaths.Payout, Kind = FaultKind.DropCallback });
        var dropped = TestTradeNos.New("D");
        var barrier = TestTradeNos.New("B");

        await sandbox.Client.PayoutAsync(dropped, TestMobiles.ImmediateSuccess);
        await sandbox.Client.PayoutAsync(barrier, TestMobiles.ImmediateSuccess);
        await sandbox.DeliveredCallbackAsync(barrier);

        var notification = sandbox.Host.Callbacks.Single(c => c.TradeNo == dropped);
        Assert.Equal(CallbackState.Dropped, notification.State);
        Assert.Equal(FaultKind.DropCallback, notification.Fault);
        Assert.Equal(0, notification.Attempts);
        Assert.Equal([barrier], sandbox.Receiver.Received.Select(r => r.Fields["tradeNo"]));
        // The result itself stands: the merchant finds it by querying.
        Assert.Equal("0000", (await sandbox.Client.QueryPayoutAsync(dropped)).DataString("status"));
    }

    [Fact]
    public async Task A_duplicated_callback_arrives_twice_with_the_same_body()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.DuplicateCallback });
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        await Eventually.UntilAsync(
            () => sandbox.Host.Callbacks.Count(c => c.State == CallbackState.Delivered) == 2,
            "both copies are delivered");

        var received = sandbox.Receiver.Received;
        Assert.Equal(2, received.Count);
        Assert.Equal(received[0].Body, received[1].Body);
        var callbacks = sandbox.Host.Callbacks;
        Assert.Equal(callbacks[0].Id, callbacks[1].DuplicateOf);
    }

    [Fact]
    public async Task A_delayed_callback_waits_the_fault_delay_before_its_first_attempt()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 7, 1, 9, 0, 0, TimeSpan.Zero));
        await using var sandbox = await TestSandbox.StartAsync(o => o.TimeScale = 1, time);
        sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.DelayCallback, Delay = TimeSpan.FromMinutes(5) });
        var tradeNo = TestTradeNos.New();
        var createdAt = time.GetUtcNow();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        Assert.Empty(sandbox.Host.CallbackAttempts);
        time.Advance(TimeSpan.FromTicks(1));
        await sandbox.DeliveredCallbackAsync(tradeNo);

        var attempt = Assert.Single(sandbox.Host.CallbackAttempts);
        Assert.Equal(createdAt + TimeSpan.FromMinutes(5), attempt.ScheduledAt);
        Assert.Equal(createdAt + TimeSpan.FromMinutes(5), attempt.AttemptedAt);
    }

    [Fact]
    public async Task Reordered_callbacks_arrive_in_reverse_order()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.ReorderCallbacks, Count = 3 });
        var tradeNos = new[] { "R-1", "R-2", "R-3" };

        foreach (var tradeNo in tradeNos.Take(2))
        {
            await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        }
        Assert.All(sandbox.Host.Callbacks, c => Assert.Equal(CallbackState.Held, c.State));
        Assert.Empty(sandbox.Receiver.Received);
        await sandbox.Client.PayoutAsync(tradeNos[2], TestMobiles.ImmediateSuccess);
        await Eventually.UntilAsync(
            () => sandbox.Host.Callbacks.All(c => c.State == CallbackState.Delivered),
            "the held callbacks are delivered");

        Assert.Equal(["R-3", "R-2", "R-1"], sandbox.Receiver.Received.Select(r => r.Fields["tradeNo"]));
    }

    [Fact]
    public async Task A_stale_result_can_follow_the_final_one()
    {
        // Out-of-order delivery for one transaction: the final result, then an older processing one.
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.ReorderCallbacks, Count = 2 });
        var tradeNo = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);

        sandbox.Host.Redeliver(SandboxTransactionKind.Payout, tradeNo);
        sandbox.Host.SetTransactionStatus(SandboxTransactionKind.Payout, tradeNo, "0000");
        await Eventually.UntilAsync(() => sandbox.Receiver.Received.Count == 2, "both callbacks arrive");

        Assert.Equal(["0000", "0015"], sandbox.Receiver.Received.Select(r => r.Fields["status"]));
    }

    [Fact]
    public async Task Removing_a_reorder_fault_sends_what_it_holds()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var id = sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.ReorderCallbacks, Count = 5 });
        await sandbox.Client.PayoutAsync("H-1", TestMobiles.ImmediateSuccess);
        await sandbox.Client.PayoutAsync("H-2", TestMobiles.ImmediateSuccess);
        Assert.Empty(sandbox.Receiver.Received);

        sandbox.Host.Faults.Remove(id);
        await Eventually.UntilAsync(() => sandbox.Receiver.Received.Count == 2, "the held callbacks are sent");

        Assert.Equal(["H-2", "H-1"], sandbox.Receiver.Received.Select(r => r.Fields["tradeNo"]));
    }

    [Fact]
    public async Task Callback_faults_match_the_path_that_created_the_transaction()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Endpoint = PayproPaths.Payin, Kind = FaultKind.DropCallback, Count = null });
        var payout = TestTradeNos.New("O");
        var payin = TestTradeNos.New("I");

        await sandbox.Client.PayinAsync(payin, TestMobiles.ImmediateSuccess, sandbox.Receiver.NotifyUrl);
        await sandbox.Client.PayoutAsync(payout, TestMobiles.ImmediateSuccess);
        await sandbox.DeliveredCallbackAsync(payout);

        Assert.Equal(CallbackState.Dropped, sandbox.Host.Callbacks.Single(c => c.TradeNo == payin).State);
        Assert.Equal([payout], sandbox.Receiver.Received.Select(r => r.Fields["tradeNo"]));
    }

    [Fact]
    public async Task Request_faults_do_not_touch_callbacks_and_callback_faults_do_not_touch_requests()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.DropCallback, Count = null });
        var tradeNo = TestTradeNos.New();

        var reply = await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);

        Assert.Equal("0000", reply.Code);
        Assert.Equal(CallbackState.Dropped, Assert.Single(sandbox.Host.Callbacks).State);
        Assert.Null(Assert.Single(sandbox.Host.Ledger.Requests).Fault);
    }
}
