using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using NCrontab;
using Paypro.Functions.Hosting;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>The self-hosted timer trigger: NCRONTAB six-field schedules from the setting function.json names.</summary>
public sealed class SelfHostedTimerTests
{
    private const string FunctionName = "PollThings";
    private const string ScheduleSetting = "ThingsSchedule";
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 10, 0, 30, TimeSpan.Zero);

    [Fact]
    public async Task Timer_fires_at_each_occurrence_of_the_schedule_from_the_setting()
    {
        var time = new TimerFakeTimeProvider(Start);
        var recorder = new FunctionRecorder();
        await using var app = await StartAsync(recorder, time, "0 */5 * * * *");

        await AdvanceToAsync(time, At(10, 5), () => recorder.TimerTriggers.Count == 1);
        var first = recorder.TimerTriggers[0];
        Assert.Equal(FunctionName, first.FunctionName);
        Assert.Null(first.LastRun);
        Assert.Equal(At(10, 10), first.NextRun);

        Assert.False(first.IsPastDue);

        await AdvanceToAsync(time, At(10, 10), () => recorder.TimerTriggers.Count == 2);
        var second = recorder.TimerTriggers[1];
        Assert.Equal(At(10, 5), second.LastRun);
        Assert.Equal(At(10, 15), second.NextRun);
        Assert.False(second.IsPastDue);
    }

    [Fact]
    public async Task Default_schedule_applies_when_the_setting_is_absent()
    {
        var time = new TimerFakeTimeProvider(Start);
        var recorder = new FunctionRecorder();
        await using var app = await StartAsync(recorder, time, schedule: null);

        await AdvanceToAsync(time, At(11, 0), () => recorder.TimerTriggers.Count == 1);

        // The default registered below is hourly.
        Assert.Equal(At(12, 0), recorder.TimerTriggers[0].NextRun);
    }

    [Fact]
    public async Task A_failing_run_is_logged_and_the_next_occurrence_still_fires()
    {
        var time = new TimerFakeTimeProvider(Start);
        var recorder = new FunctionRecorder { OnTimer = (_, _) => throw new InvalidOperationException("poll failed") };
        await using var app = await StartAsync(recorder, time, "0 * * * * *");

        await AdvanceToAsync(time, At(10, 1), () => recorder.TimerTriggers.Count == 1);
        await AdvanceToAsync(time, At(10, 2), () => recorder.TimerTriggers.Count == 2);

        Assert.Contains(app.Logs.Entries, entry => entry.Level == LogLevel.Error && entry.Exception?.Message == "poll failed");
        Assert.Equal(At(10, 1), recorder.TimerTriggers[1].LastRun);
    }

    [Fact]
    public async Task Timer_fires_on_a_per_second_schedule_in_real_time()
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartAsync(recorder, TimeProvider.System, "* * * * * *");

        await Eventually.WaitUntilAsync(() => recorder.TimerTriggers.Count >= 2, "the timer fired twice", TimeSpan.FromSeconds(15));

        var second = recorder.TimerTriggers[1];
        Assert.NotNull(second.LastRun);
        Assert.Equal(0, second.LastRun!.Value.Millisecond);
        Assert.True(second.NextRun > second.LastRun);
        Assert.Equal(1, recorder.MaxRunning);
    }

    [Theory]
    [InlineData("*/5 * * * *")]
    [InlineData("every minute")]
    public async Task Bad_schedule_stops_the_app_at_start_up_naming_the_setting(string schedule)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(new FunctionRecorder(), TimeProvider.System, schedule));

        Assert.Contains(ScheduleSetting, error.Message, StringComparison.Ordinal);
        Assert.Contains("six-field", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_that_starts_late_is_past_due_and_points_at_the_next_occurrence_after_now()
    {
        var listener = Listener("0 */5 * * * *");

        var onTime = listener.CreateTrigger(FunctionName, At(10, 5), At(10, 5).AddMilliseconds(300), At(10, 0));
        var late = listener.CreateTrigger(FunctionName, At(10, 5), At(10, 12), At(10, 0));

        Assert.False(onTime.IsPastDue);
        Assert.Equal(At(10, 10), onTime.NextRun);
        Assert.True(late.IsPastDue);
        Assert.Equal(At(10, 15), late.NextRun);
        Assert.Equal(At(10, 0), late.LastRun);
    }

    [Fact]
    public void Registering_a_bad_default_schedule_fails_at_once()
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<InvalidOperationException>(() => services.AddTimerFunction<RecordingTimerFunction>(FunctionName, ScheduleSetting, "0 0 * *"));

        Assert.Contains("six-field", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registering_two_functions_with_one_name_fails()
    {
        var services = new ServiceCollection();
        services.AddTimerFunction<RecordingTimerFunction>(FunctionName, ScheduleSetting, "0 0 * * * *");

        var error = Assert.Throws<ArgumentException>(() => services.AddQueueFunction<RecordingQueueFunction>(FunctionName.ToUpperInvariant(), "Q", "things"));

        Assert.Contains(FunctionName.ToUpperInvariant(), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1Starts-with-digit")]
    [InlineData("has space")]
    [InlineData("has/slash")]
    public void Registering_a_function_with_an_invalid_name_fails(string name)
    {
        var services = new ServiceCollection();

        Assert.ThrowsAny<ArgumentException>(() => services.AddTimerFunction<RecordingTimerFunction>(name, ScheduleSetting, "0 0 * * * *"));
    }

    private static TimerListener Listener(string schedule) => new(
        new TimerFunctionDescriptor(FunctionName, ScheduleSetting, schedule, _ => throw new InvalidOperationException()),
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
        await Eventually.WaitUntilAsync(() => time.LatestTimerDue == occurrence, $"the listener waited for {occurrence:O}");
        time.SetUtcNow(occurrence);
        await Eventually.WaitUntilAsync(ran, $"the timer fired at {occurrence:O}");
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
        var settings = HostingTestApp.SelfHosted();
        settings[ScheduleSetting] = schedule;
        return HostingTestApp.StartAsync(settings, builder =>
        {
            builder.Services.AddSingleton(time);
            builder.Services.AddSingleton(recorder);
            builder.Services.AddTimerFunction<RecordingTimerFunction>(FunctionName, ScheduleSetting, "0 0 * * * *");
        });
    }
}
