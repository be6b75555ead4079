namespace Paypro.Functions.Hosting;

/// <summary>One delivery of a queue message to an <see cref="IQueueFunction"/>.</summary>
/// <param name="FunctionName">The function being invoked (its function.json folder name).</param>
/// <param name="QueueName">The queue the message came from.</param>
/// <param name="MessageText">The message text, decoded from base64 and stripped of the host's extra JSON quoting.</param>
/// <param name="MessageId">The storage message id.</param>
/// <param name="DequeueCount">How many times the message has been delivered, this delivery included (1 on the first).</param>
/// <param name="InsertedOn">When the message was enqueued, when known.</param>
/// <param name="MaxDequeueCount">The delivery after which a failure moves the message to <c>&lt;queue&gt;-poison</c>.</param>
public sealed record QueueTrigger(
    string FunctionName,
    string QueueName,
    string MessageText,
    string MessageId,
    long DequeueCount,
    DateTimeOffset? InsertedOn,
    int MaxDequeueCount)
{
    /// <summary>Whether a failure of this delivery moves the message to the poison queue instead of retrying it.</summary>
    public bool IsLastAttempt => DequeueCount >= MaxDequeueCount;
}
