using System.Collections.Concurrent;
using Paypro.Functions.Hosting;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>What the test functions received, and what they do when called (succeed by default).</summary>
internal sealed class FunctionRecorder
{
    private readonly ConcurrentQueue<QueueTrigger> _queueTriggers = new();
    private readonly ConcurrentQueue<TimerTrigger> _timerTriggers = new();
    private int _running;
    private int _maxRunning;

    public IReadOnlyList<QueueTrigger> QueueTriggers => [.. _queueTriggers];
    public IReadOnlyList<TimerTrigger> TimerTriggers => [.. _timerTriggers];

    /// <summary>How many invocations are in progress right now, and the most there ever were at once.</summary>
    public int Running => Volatile.Read(ref _running);
    public int MaxRunning => Volatile.Read(ref _maxRunning);

    public Func<QueueTrigger, CancellationToken, Task> OnQueue { get; set; } = (_, _) => Task.CompletedTask;
    public Func<TimerTrigger, CancellationToken, Task> OnTimer { get; set; } = (_, _) => Task.CompletedTask;

    public async Task RecordAsync(QueueTrigger trigger, CancellationToken cancellationToken)
    {
        _queueTriggers.Enqueue(trigger);
        await TrackAsync(() => OnQueue(trigger, cancellationToken));
    }

    public async Task RecordAsync(TimerTrigger trigger, CancellationToken cancellationToken)
    {
        _timerTriggers.Enqueue(trigger);
        await TrackAsync(() => OnTimer(trigger, cancellationToken));
    }

    private async Task TrackAsync(Func<Task> run)
    {
        var now = Interlocked.Increment(ref _running);
        for (var max = MaxRunning; now > max; max = MaxRunning)
        {
            Interlocked.CompareExchange(ref _maxRunning, now, max);
        }
        try
        {
            await run();
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}

internal sealed class RecordingQueueFunction(FunctionRecorder recorder) : IQueueFunction
{
    public Task RunAsync(QueueTrigger trigger, CancellationToken cancellationToken) => recorder.RecordAsync(trigger, cancellationToken);
}

internal sealed class RecordingTimerFunction(FunctionRecorder recorder) : ITimerFunction
{
    public Task RunAsync(TimerTrigger trigger, CancellationToken cancellationToken) => recorder.RecordAsync(trigger, cancellationToken);
}
