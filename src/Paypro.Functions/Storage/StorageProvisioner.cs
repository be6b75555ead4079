using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.Storage;

/// <summary>
/// Creates the tables and queues the app uses. In Azure the deployment creates them, so the app never does
/// this at start-up there (start-up makes no storage round trip); a local run calls it once.
/// </summary>
internal sealed class StorageProvisioner(
    TableServiceClient tables,
    IOptions<StorageOptions> options,
    QueueServiceClient queues,
    QueueNames names,
    ILogger<StorageProvisioner> logger)
{
    public async Task CreateAllAsync(CancellationToken cancellationToken)
    {
        foreach (var table in new[]
        {
            options.Value.TransactionsTable,
            options.Value.DueTable,
            options.Value.AuditTable,
            options.Value.ControlsTable,
        })
        {
            await tables.GetTableClient(table).CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var queue in new[] { names.Payouts, names.Payins, names.Events })
        {
            await queues.GetQueueClient(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await queues.GetQueueClient(QueueNames.PoisonOf(queue))
                .CreateIfNotExistsAsync(cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        logger.StorageReady(names.Payouts, names.Payins, names.Events);
    }
}
