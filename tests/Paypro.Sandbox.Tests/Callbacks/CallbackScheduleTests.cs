using Microsoft.Extensions.Time.Testing;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests.Callbacks;

/// <summary>Paypro retries an unacknowledged callback 8 times: after 2s, 5s, 10s, 30s, 1h, 3h, 3h, 3h.</summary>
public sealed class CallbackScheduleTests
{
    private static readonly TimeSpan[] PayproIntervals =
    [
        TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(3), TimeSpan.FromHours(3), TimeSpan.FromHours(3),
    ];

    [Fact]
    public void The_schedule_is_Paypros()
    {
        Assert.Equal(PayproIntervals, SandboxOptions.CallbackRetryIntervals);
    }

    [Fact]
    public async Task Under_a_fake_clock_the_attempts_come_exactly_on_schedule_and_stop_after_nine()
    {
        var start = new DateTimeOffset(2024, 7, 1, 9, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        await using var sandbox = await TestSandbox.StartAsync(o => o.TimeScale = 1, time, answer: "FAIL");
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        await Eventually.UntilAsync(() => sandbox.Host.CallbackAttempts.Count == 1, "the first attempt is made");
        for (var i = 0; i < PayproIntervals.Length; i++)
        {
            // A fake timer fires inside Advance or not at all: one tick short of the due time, no attempt.
            time.Advance(PayproIntervals[i] - TimeSpan.FromTicks(1));
            Assert.Equal(i + 1, sandbox.Host.CallbackAttempts.Count);
            time.Advance(TimeSpan.FromTicks(1));
            await Eventually.UntilAsync(() => sandbox.Host.CallbackAttempts.Count == i + 2, $"attempt {i + 2} is made");
        }
        await Eventually.UntilAsync(() => sandbox.Host.Callbacks[0].State == CallbackState.Exhausted, "the callback is given up");
        time.Advance(TimeSpan.FromDays(2));

        var attempts = sandbox.Host.CallbackAttempts;
        Assert.Equal(9, attempts.Count);
        Assert.Equal(9, sandbox.Receiver.Received.Count);
        var expected = start;
        for (var i = 0; i < attempts.Count; i++)
        {
            Assert.Equal(i + 1, attempts[i].Attempt);
            Assert.Equal(expected, attempts[i].ScheduledAt);
            Assert.Equal(expected, attempts[i].AttemptedAt);
            Assert.Equal(CallbackOutcome.NotAcknowledged, attempts[i].Outcome);
            expected += i < PayproIntervals.Length ? PayproIntervals[i] : TimeSpan.Zero;
        }
        Assert.Equal(start + TimeSpan.FromSeconds(47) + TimeSpan.FromHours(10), attempts[^1].ScheduledAt);
        Assert.Equal(9, sandbox.Host.Callbacks[0].Attempts);
    }

    [Fact]
    public async Task Under_a_time_factor_the_real_spacing_follows_the_scaled_schedule()
    {
        const double Scale = 0.0001;
        await using var sandbox = await TestSandbox.StartAsync(o => o.TimeScale = Scale, answer: "not ok");
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        await Eventually.UntilAsync(
            () => sandbox.Host.Callbacks.Single().State == CallbackState.Exhausted,
            "all nine attempts are made",
            TimeSpan.FromSeconds(60));

        var attempts = sandbox.Host.CallbackAttempts;
        var received = sandbox.Receiver.Received;
        Assert.Equal(9, attempts.Count);
        Assert.Equal(9, received.Count);
        var scheduledOffset = TimeSpan.Zero;
        for (var i = 0; i < attempts.Count; i++)
        {
            if (i > 0)
            {
                scheduledOffset += TimeSpan.FromTicks((long)(PayproIntervals[i - 1].Ticks * Scale));
            }
            // The schedule is computed, so it is exact; real arrivals may be late, never early.
            Assert.Equal(scheduledOffset, attempts[i].ScheduledAt - attempts[0].ScheduledAt);
            Assert.True(attempts[i].AttemptedAt >= attempts[i].ScheduledAt, $"attempt {i + 1} was made early");
            Assert.True(
                received[i].ReceivedAt >= attempts[i].ScheduledAt,
                $"attempt {i + 1} arrived {(attempts[i].ScheduledAt - received[i].ReceivedAt).TotalMilliseconds} ms before it was due");
        }
        // Lateness does not add up (each attempt is due relative to the previous due time), so the
        // whole schedule ends close to its scaled length even on a busy machine.
        var total = received[8].ReceivedAt - attempts[0].ScheduledAt;
        Assert.True(
            total <= scheduledOffset + TimeSpan.FromSeconds(10),
            $"the schedule took {total.TotalMilliseconds} ms, scheduled {scheduledOffset.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_delivered_callback_is_not_retried()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 7, 1, 9, 0, 0, TimeSpan.Zero));
        await using var sandbox = await TestSandbox.StartAsync(o => o.TimeScale = 1, time);
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        await sandbox.DeliveredCallbackAsync(tradeNo);
        time.Advance(TimeSpan.FromDays(1));

        Assert.Single(sandbox.Host.CallbackAttempts);
        Assert.Single(sandbox.Receiver.Received);
    }
}
