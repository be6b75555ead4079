namespace Paypro.Functions.Tests.Infrastructure;

/// <summary>The end-to-end clock: it keeps pace with the wall clock, and a skip moves it ahead at once.</summary>
public sealed class TestClockTests
{
    [Fact]
    public async Task A_timer_fires_when_the_wall_clock_reaches_it_without_a_skip()
    {
        var clock = new TestClock();
        var start = clock.GetUtcNow();

        // Nothing but the wall clock moves this one: a request timeout on a real socket ends this way.
        await Task.Delay(TimeSpan.FromMilliseconds(100), clock).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(clock.GetUtcNow() - start >= TimeSpan.FromMilliseconds(100));
        Assert.Equal(TimeSpan.Zero, clock.Skipped);
    }

    [Fact]
    public async Task A_skip_fires_a_far_timer_at_once_and_stays_ahead_of_the_wall_clock()
    {
        var clock = new TestClock();
        var start = clock.GetUtcNow();
        var delay = Task.Delay(TimeSpan.FromHours(1), clock);
        Assert.False(delay.IsCompleted);

        clock.Skip(TimeSpan.FromHours(1));

        await delay.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromHours(1), clock.Skipped);
        Assert.True(clock.GetUtcNow() - start >= TimeSpan.FromHours(1));
        // Still ticking after the skip, from where the skip left it.
        var afterSkip = clock.GetUtcNow();
        await Eventually.UntilAsync(() => clock.GetUtcNow() > afterSkip, "the clock moved on after the skip");
    }

    [Fact]
    public void A_negative_skip_is_refused()
    {
        var clock = new TestClock();

        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Skip(TimeSpan.FromSeconds(-1)));
    }
}
