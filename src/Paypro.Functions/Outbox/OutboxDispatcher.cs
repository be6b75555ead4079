using Azure.Storage.Queues;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.Outbox;

/// <summary>
/// Sends outbox events to the events queue. A change's event is sent by the invocation that wrote it, right
/// after the write, because under the Functions host an instance may be frozen as soon as its invocations
/// end: nothing is left to a background sender. The record names every event it wrote that is not confirmed
/// (the record's Unsent list), and a transaction keeps its due entry until it is final and that list is
/// empty, so whatever fails (the queue, a table write, the process) the poller sends what is missing. Delivery is at
/// least once: an event sent just before a failure is sent again with the same id, which consumers use to de-duplicate.
/// </summary>
// Not sealed, its methods virtual: the outbox invariant's tests derive from it to fail or stop between two writes.
public class OutboxDispatcher
{
    // The invocation that wrote an event and the poller (or "check now") may both try to send the same
    // unsent row. One send per transaction at a time in this process (striped, so memory stays fixed) keeps
    // their sends in order; enough stripes that a burst of callbacks rarely makes unrelated transactions wait
    // for each other's sends.
    private const int Stripes = 1024;

    // The last events each stripe confirmed on the queue, read and written only under the stripe's gate. The other path's
    // record may be a moment older than the send (read before the writer took the name off): what this process has
    // confirmed is not sent again. A few per stripe cover that moment even in a burst; an older record is a failure's,
    // and its event goes again (at least once).
    private const int ConfirmedPerStripe = 8;
    private readonly SemaphoreSlim[] _gates = Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
    private readonly string?[] _confirmed = new string?[Stripes * ConfirmedPerStripe];
    private readonly int[] _nextConfirmed = new int[Stripes];
    private readonly IOutboxStore _store;
    private readonly QueueClient _events;
    private readonly ILogger<OutboxDispatcher> _logger;
    private readonly TimeProvider _time;

    public OutboxDispatcher(
        IOutboxStore store,
        QueueServiceClient queues,
        QueueNames names,
        ILogger<OutboxDispatcher> logger,
        TimeProvider? time = null)
    {
        _store = store;
        _events = queues.GetQueueClient(names.Events);
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Sends an event just written with its change. A failure is logged and left to the poller.</summary>
    /// <returns>Whether the event is on the events queue.</returns>
    public virtual async Task<bool> SendWrittenAsync(OutboxEvent written, CancellationToken cancellationToken)
    {
        var stripe = StripeOf(written.TradeNo);
        var gate = _gates[stripe];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendOnceAsync(stripe, written, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.EventNotSent(ex, written.EventName, written.TradeNo);
            return false;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Sends every event of <paramref name="tradeNo"/> that <paramref name="unsent"/> names as unconfirmed (the record's
    /// list), oldest first, taking each name off the list in memory once it is on the queue (the poller, for what a
    /// failure or a stop left behind). A failed send throws, and the names not yet sent stay on the list.
    /// </summary>
    /// <returns>How many events were sent now (one this process has just confirmed leaves the list without a second send).</returns>
    public virtual async Task<int> SendUnsentAsync(string tradeNo, List<string> unsent, CancellationToken cancellationToken)
    {
        if (unsent.Count == 0)
        {
            return 0;
        }
        var stripe = StripeOf(tradeNo);
        var gate = _gates[stripe];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sent = 0;
            var events = await _store.GetOutboxAsync(tradeNo, [.. unsent], cancellationToken).ConfigureAwait(false);
            foreach (var outboxEvent in events)
            {
                if (await SendOnceAsync(stripe, outboxEvent, cancellationToken).ConfigureAwait(false))
                {
                    sent++;
                }
                unsent.Remove(outboxEvent.EventName);
            }
            return sent;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Sends an event unless this process has just confirmed it; the caller holds the stripe's gate.</summary>
    /// <returns>Whether it was sent now (false: it was on the queue already).</returns>
    private async Task<bool> SendOnceAsync(int stripe, OutboxEvent outboxEvent, CancellationToken cancellationToken)
    {
        var id = $"{outboxEvent.TradeNo}:{outboxEvent.EventName}";
        var first = stripe * ConfirmedPerStripe;
        if (Array.IndexOf(_confirmed, id, first, ConfirmedPerStripe) >= 0)
        {
            return false;
        }
        await SendAsync(outboxEvent, cancellationToken).ConfigureAwait(false);
        _confirmed[first + _nextConfirmed[stripe]] = id;
        _nextConfirmed[stripe] = (_nextConfirmed[stripe] + 1) % ConfirmedPerStripe;
        return true;
    }

    private async Task SendAsync(OutboxEvent outboxEvent, CancellationToken cancellationToken)
    {
        using var activity = TransactionTracing.Source.StartActivity(
            TransactionTracing.EventSend,
            System.Diagnostics.ActivityKind.Producer);
        activity?.SetTag("messaging.system", "azure_queue");
        activity?.SetTag("messaging.destination.name", _events.Name);
        activity?.SetTag("paypro.trade_no", outboxEvent.TradeNo);
        activity?.SetTag("paypro.event", outboxEvent.EventName);
        await _events.SendMessageAsync(outboxEvent.Payload, cancellationToken).ConfigureAwait(false);
        FunctionsMetrics.EventLag.Record((_time.GetUtcNow() - outboxEvent.CreatedAt).TotalSeconds);
        FunctionsMetrics.EventsSent.Add(1);
    }

    private static int StripeOf(string tradeNo) => (StringComparer.Ordinal.GetHashCode(tradeNo) & int.MaxValue) % Stripes;
}
