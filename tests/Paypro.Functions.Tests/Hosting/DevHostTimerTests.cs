using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using NCrontab;
using Paypro.Functions.DevHost;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>The development host's timer trigger: NCRONTAB six-field schedules from the setting the attribute names.</summary>
public sealed class DevHostTimerTests
{
    private const string ScheduleSetting = RecordingTimerFunction.ScheduleSetting;
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 10, 0, 30, TimeSpan.Zero);

    [Fact]
    public async Task Timer_fires_at_each_occurrence_of_the_schedule_from_the_setting()
    {
        var time = new TimerFakeTimeProvider(Start);
        var recorder = new FunctionRecorder();
        await using var app = await StartAsync(recorder, time, "0 */5 * * * *");

        await AdvanceToAsync(time, At(10, 5), () => recorder.TimerTriggers.Count == 1);
        var first = recorder.TimerTriggers[0];
        Assert.Equal(default, first.ScheduleStatus!.Last);
        Assert.Equal(At(10, 10).UtcDateTime, first.ScheduleStatus.Next);

        Assert.False(first.IsPastDue);

        await AdvanceToAsync(time, At(10, 10), () => recorder.TimerTriggers.Count == 2);
        var second = recorder.TimerTriggers[1];
        Assert.Equal(At(10, 5).UtcDateTime, second.ScheduleStatus!.Last);
        Assert.Equal(At(10, 15).UtcDateTime, second.ScheduleStatus.Next);
        Assert.False(second.IsPastDue);
    }

    [Fact]
    public async Task The_hosts_triggers_keep_the_system_clock_when_the_app_has_a_fake_one()
    {
        // The app's clock is the app's: a test that moves it moves the app's due times, not the host's triggers.
        var appClock = new FakeTimeProvider(Start);
        await using var app = await HostingTestApp.StartAsync(
            HostingTestApp.DevHost(),
            [],
            builder => builder.Services.AddSingleton<TimeProvider>(appClock));

        Assert.Same(appClock, app.App.Services.GetRequiredService<TimeProvider>());
        Assert.Same(TimeProvider.System, app.App.Services.GetRequiredKeyedService<TimeProvider>(DevelopmentHost.ClockKey));
    }

    [Fact]
    public async Task Missing_schedule_setting_stops_the_host_at_start_up_naming_it()
    {
        // The host has no default for a %Setting% expression, and neither has the development host.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => StartAsync(new FunctionRecorder(), TimeProvider.System, schedule: null));

        Assert.Contains(ScheduleSetting, error.Message, StringComparison.Ordinal);
        Assert.Contains(RecordingTimerFunction.Name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_run_is_logged_and_the_next_occurrence_still_fires()
    {
        var time = new TimerFakeTimeProvider(Start);
        var recorder = new FunctionRecorder { OnTimer = (_, _) => throw new InvalidOperationException("poll failed") };
        await using var app = await StartAsync(recorder, time, "0 * * * * *");

        await AdvanceToAsync(time, At(10, 1), () => recorder.TimerTriggers.Count == 1);
        await AdvanceToAsync(time, At(10, 2), () => recorder.TimerTriggers.Count == 2);

        Assert.Contains(app.Logs.GetSnapshot(), entry => entry.Level == LogLevel.Error && entry.Exception?.Message == "poll failed");
        Assert.Equal(At(10, 1).UtcDateTime, recorder.TimerTriggers[1].ScheduleStatus!.Last);
    }

    [Fact]
    public async Task Timer_fires_on_a_per_second_schedule_in_real_time()
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartAsync(recorder, TimeProvider.System, "* * * * * *");

        await Eventually.UntilAsync(() => recorder.TimerTriggers.Count >= 2, "the timer fired twice", TimeSpan.FromSeconds(15));

        var second = recorder.TimerTriggers[1].ScheduleStatus!;
        Assert.NotEqual(default, second.Last);
        Assert.Equal(0, second.Last.Millisecond);
        Assert.True(second.Next > second.Last);
        Assert.Equal(1, recorder.MaxRunning);
    }

    [Theory]
    [InlineData("*/5 * * * *")]
    [InlineData("every minute")]
    public async Task Bad_schedule_stops_the_app_at_start_up_naming_the_setting(string schedule)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => StartAsync(new FunctionRecorder(), TimeProvider.System, schedule));

        Assert.Contains(ScheduleSetting, error.Message, StringComparison.Ordinal);
        Assert.Contains("six-field", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_that_starts_late_is_past_due_and_points_at_the_next_occurrence_after_now()
    {
        var listener = Listener("0 */5 * * * *");

        var onTime = listener.CreateTimerInfo(At(10, 5), At(10, 5).AddMilliseconds(300), At(10, 0));
        var late = listener.CreateTimerInfo(At(10, 5), At(10, 12), At(10, 0));

        Assert.False(onTime.IsPastDue);
        Assert.Equal(At(10, 10).UtcDateTime, onTime.ScheduleStatus!.Next);
        Assert.True(late.IsPastDue);
        Assert.Equal(At(10, 15).UtcDateTime, late.ScheduleStatus!.Next);
        Assert.Equal(At(10, 0).UtcDateTime, late.ScheduleStatus.Last);
    }

    private static TimerListener Listener(string schedule) => new(
        (TimerFunction)FunctionCatalog.FromTypes(typeof(RecordingTimerFunction)).Functions[0],
        CrontabSchedule.Parse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }),
        null!,
        TimeProvider.System,
        Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    private static DateTimeOffset At(int hour, int minute) => new(2026, 11, 24, hour, minute, 0, TimeSpan.Zero);

    /// <summary>
    /// Waits until the listener's timer is set for the occurrence, then moves fake time exactly there. Moving
    /// time while the listener is between reading the clock and setting its timer would push the timer late.
    /// </summary>
    private static async Task AdvanceToAsync(TimerFakeTimeProvider time, DateTimeOffset occurrence, Func<bool> ran)
    {
        await Eventually.UntilAsync(() => time.LatestTimerDue == occurrence, $"the listener waited for {occurrence:O}");
        time.SetUtcNow(occurrence);
        await Eventually.UntilAsync(ran, $"the timer fired at {occurrence:O}");
    }

    /// <summary>Fake time that also tells when the most recently created timer is due.</summary>
    private sealed class TimerFakeTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private long _latestDueTicks;

        public DateTimeOffset LatestTimerDue => new(Interlocked.Read(ref _latestDueTicks), TimeSpan.Zero);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Interlocked.Exchange(ref _latestDueTicks, (GetUtcNow() + dueTime).UtcTicks);
            }
            return timer;
        }
    }

    private static Task<HostingTestApp> StartAsync(FunctionRecorder recorder, TimeProvider time, string? schedule)
    {
        var settings = HostingTestApp.DevHost();
        settings[ScheduleSetting] = schedule;
        return HostingTestApp.StartAsync(settings, [typeof(RecordingTimerFunction)], builder =>
        {
            builder.Services.AddKeyedSingleton(DevelopmentHost.ClockKey, time);
            builder.Services.AddSingleton(recorder);
        });
    }
}
