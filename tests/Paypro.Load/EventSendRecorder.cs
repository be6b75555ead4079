using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Paypro.Load;

/// <summary>
/// Sits in the app's queue pipeline and notes, for every message put on the events queue, when the request left
/// and when Azurite's answer (201, with the new message's id) came back, on this machine's clock: the clock the
/// app stamps <c>occurredAt</c> with. The queue's own <c>InsertionTime</c> is sent in RFC 1123 format, whole
/// seconds only, which is too coarse for a budget of one second; these times are exact to the millisecond.
/// </summary>
public sealed partial class EventSendRecorder(string eventsQueue) : HttpPipelinePolicy
{
    private readonly string _pathSuffix = "/" + eventsQueue + "/messages";
    private readonly ConcurrentDictionary<string, (DateTimeOffset Sent, DateTimeOffset Acknowledged)> _byMessageId =
        new(StringComparer.Ordinal);
    private int _failedSends;

    /// <summary>Put Message requests on the events queue that did not end in 201 (retried or not).</summary>
    public int FailedSends => Volatile.Read(ref _failedSends);

    public bool TryGet(string messageId, out DateTimeOffset sent, out DateTimeOffset acknowledged)
    {
        if (_byMessageId.TryGetValue(messageId, out var times))
        {
            (sent, acknowledged) = times;
            return true;
        }
        sent = acknowledged = default;
        return false;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var sent = DateTimeOffset.UtcNow;
        ProcessNext(message, pipeline);
        Record(message, sent);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var sent = DateTimeOffset.UtcNow;
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        Record(message, sent);
    }

    private void Record(HttpMessage message, DateTimeOffset sent)
    {
        var acknowledged = DateTimeOffset.UtcNow;
        if (message.Request.Method != RequestMethod.Post || !message.Request.Uri.Path.EndsWith(_pathSuffix, StringComparison.Ordinal))
        {
            return;
        }
        if (!message.HasResponse || message.Response.Status != 201)
        {
            Interlocked.Increment(ref _failedSends);
            return;
        }
        string body;
        try
        {
            // Per-retry policies run outside the SDK's response buffering, so the body is in memory by now.
            body = message.Response.Content.ToString();
        }
        catch (InvalidOperationException)
        {
            return;
        }
        var id = MessageId().Match(body);
        if (id.Success)
        {
            _byMessageId[id.Groups[1].Value] = (sent, acknowledged);
        }
    }

    [GeneratedRegex("<MessageId>([^<]+)</MessageId>", RegexOptions.CultureInvariant)]
    private static partial Regex MessageId();
}
