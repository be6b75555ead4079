using System.Collections.Concurrent;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>One delivery of a queue message, as a test function received it.</summary>
internal sealed record QueueDelivery(string MessageText, string MessageId, long DequeueCount, DateTimeOffset? InsertedOn);

/// <summary>What the test functions received, and what they do when called (succeed by default).</summary>
internal sealed class FunctionRecorder
{
    private readonly ConcurrentQueue<QueueDelivery> _queueTriggers = new();
    private readonly ConcurrentQueue<TimerInfo> _timerTriggers = new();
    private int _running;
    private int _maxRunning;

    public IReadOnlyList<QueueDelivery> QueueTriggers => [.. _queueTriggers];
    public IReadOnlyList<TimerInfo> TimerTriggers => [.. _timerTriggers];

    /// <summary>How many invocations are in progress right now, and the most there ever were at once.</summary>
    public int Running => Volatile.Read(ref _running);
    public int MaxRunning => Volatile.Read(ref _maxRunning);

    public Func<QueueDelivery, CancellationToken, Task> OnQueue { get; set; } = (_, _) => Task.CompletedTask;
    public Func<TimerInfo, CancellationToken, Task> OnTimer { get; set; } = (_, _) => Task.CompletedTask;

    public async Task RecordAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        var delivery = new QueueDelivery(message.Body.ToString(), message.MessageId, message.DequeueCount, message.InsertedOn);
        _queueTriggers.Enqueue(delivery);
        await TrackAsync(() => OnQueue(delivery, cancellationToken));
    }

    public async Task RecordAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        _timerTriggers.Enqueue(timer);
        await TrackAsync(() => OnTimer(timer, cancellationToken));
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

/// <summary>A queue function for the development host's tests, declared the way the app's are.</summary>
internal sealed class RecordingQueueFunction(FunctionRecorder recorder)
{
    public const string Name = "SubmitThing";
    public const string QueueSetting = "ThingsQueueName";

    [Function(Name)]
    public Task Run([QueueTrigger("%" + QueueSetting + "%")] QueueMessage message, CancellationToken cancellationToken) =>
        recorder.RecordAsync(message, cancellationToken);
}

/// <summary>A timer function for the development host's tests.</summary>
internal sealed class RecordingTimerFunction(FunctionRecorder recorder)
{
    public const string Name = "TickThing";
    public const string ScheduleSetting = "ThingsSchedule";

    [Function(Name)]
    public Task Run([TimerTrigger("%" + ScheduleSetting + "%")] TimerInfo timer, CancellationToken cancellationToken) =>
        recorder.RecordAsync(timer, cancellationToken);
}

/// <summary>HTTP functions of each authorization level for the development host's key tests.</summary>
internal sealed class RecordingHttpFunctions
{
    [Function("GetThing")]
    public IResult Get([HttpTrigger(AuthorizationLevel.Function, "get", Route = "things/{id}")] HttpRequest request, string id) =>
        Results.Text("thing " + id);

    [Function("ResetThings")]
    public IResult Reset([HttpTrigger(AuthorizationLevel.Admin, "post", Route = "things/reset")] HttpRequest request) =>
        Results.Text("reset");

    [Function("Ping")]
    public IResult Ping([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ping")] HttpRequest request) =>
        Results.Text("pong");
}
