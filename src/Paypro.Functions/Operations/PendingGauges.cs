using Azure.Storage.Queues;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Operations;

/// <summary>
/// Refreshes what the pending and poison gauges report, once per poll: the due index's entries (at most
/// <see cref="TransactionLists.MaxPending"/>; each carries its transaction's creation time) and the two poison
/// queues' approximate lengths. It never reads a record or the history.
/// </summary>
public sealed class PendingGauges(
    IDueIndex due,
    QueueServiceClient queues,
    QueueNames names,
    TimeProvider time,
    ILogger<PendingGauges> logger)
{
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var entries = await due.GetScheduledAsync(TransactionLists.MaxPending, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var oldest = entries.Where(e => e.CreatedAt is not null).Select(e => e.CreatedAt!.Value).DefaultIfEmpty(now).Min();
            var poison = new List<(string, long)>(2);
            foreach (var queue in new[] { names.Payouts, names.Payins })
            {
                var client = queues.GetQueueClient(QueueNames.PoisonOf(queue));
                var depth = await client.ExistsAsync(cancellationToken).ConfigureAwait(false)
                    ? (await client.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value.ApproximateMessagesCount
                    : 0;
                poison.Add((client.Name, depth));
            }
            PendingSnapshot.Set(
                entries.Select(e => e.TradeNo).Distinct(StringComparer.Ordinal).Count(),
                Math.Max(0, (now - oldest).TotalSeconds),
                poison);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The gauges keep their last values; the poll itself is not affected.
            logger.GaugesNotRefreshed(ex);
        }
    }
}
