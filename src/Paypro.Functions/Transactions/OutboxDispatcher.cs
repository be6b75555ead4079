using System.Threading.Channels;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using Paypro.Functions.Configuration;
using Paypro.Functions.Storage;

namespace Paypro.Functions.Transactions;

/// <summary>
/// Sends outbox events to the events queue. A change posts its tradeNo here after its write, and the
/// events go out off the request path; if the process stops first, the transaction's due entry brings
/// the poller back to it, and the poller sends what is left. Delivery is at least once: an event sent
/// just before a crash is sent again with the same id, which consumers use to de-duplicate.
/// </summary>
public class OutboxDispatcher
{
    private readonly Channel<string> _pending = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    // A change posts its tradeNo here and the poller (or "check now") dispatches the same transaction
    // itself; both would read the same unsent row and send it twice. One dispatch per transaction at a
    // time in this process (striped, so memory stays fixed) leaves the second one nothing to send.
    private readonly SemaphoreSlim[] _gates = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
    private readonly TransactionStore _store;
    private readonly QueueClient _events;
    private readonly ILogger<OutboxDispatcher> _logger;

    public OutboxDispatcher(TransactionStore store, QueueServiceClient queues, QueueNames names, ILogger<OutboxDispatcher> logger)
    {
        _store = store;
        _events = queues.GetQueueClient(names.Events);
        _logger = logger;
    }

    /// <summary>Asks for the transaction's unsent events to be sent soon.</summary>
    public void Post(string tradeNo) => _pending.Writer.TryWrite(tradeNo);

    /// <summary>Sends the transaction's unsent events now.</summary>
    public virtual async Task<int> DispatchAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var gate = _gates[(StringComparer.Ordinal.GetHashCode(tradeNo) & int.MaxValue) % _gates.Length];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sent = 0;
            foreach (var outboxEvent in await _store.GetUndispatchedAsync(tradeNo, cancellationToken).ConfigureAwait(false))
            {
                await _events.SendMessageAsync(outboxEvent.Payload, cancellationToken).ConfigureAwait(false);
                await _store.MarkDispatchedAsync(outboxEvent, cancellationToken).ConfigureAwait(false);
                FunctionsMetrics.EventsSent.Add(1);
                sent++;
            }
            return sent;
        }
        finally
        {
            gate.Release();
        }
    }

    internal async Task RunAsync(CancellationToken stoppingToken)
    {
        await foreach (var tradeNo in _pending.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await DispatchAsync(tradeNo, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning(ex, "Events of {TradeNo} not sent yet; the poller will send them.", tradeNo);
            }
        }
    }
}

/// <summary>Runs the <see cref="OutboxDispatcher"/> for the lifetime of the app.</summary>
public sealed class OutboxDispatchService(OutboxDispatcher dispatcher) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => dispatcher.RunAsync(stoppingToken);
}
