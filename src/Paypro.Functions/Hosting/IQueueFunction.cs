namespace Paypro.Functions.Hosting;

/// <summary>
/// A queue-triggered function. The same implementation runs under the Functions host (invoked through the
/// custom-handler protocol) and in self-hosted mode (invoked by the app's own queue listener).
/// </summary>
public interface IQueueFunction
{
    /// <summary>
    /// Processes one message. Returning completes the message (it is deleted). Throwing fails the
    /// invocation: the message becomes visible again after the visibility timeout and is retried, and
    /// after <see cref="QueueTrigger.MaxDequeueCount"/> failed attempts it is moved to the poison queue.
    /// </summary>
    Task RunAsync(QueueTrigger trigger, CancellationToken cancellationToken);
}
