using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Paypro.Functions.Storage;

namespace Paypro.Load;

/// <summary>The app's own stores over one table prefix, for seeding and for the tool's reads (setup, never measured).</summary>
public sealed class Stores
{
    private readonly TableServiceClient _tables;
    private readonly StorageOptions _options;

    public Stores(TableServiceClient tables, string tablePrefix)
    {
        _tables = tables;
        _options = new StorageOptions { TablePrefix = tablePrefix };
        var options = Options.Create(_options);
        Transactions = new TransactionStore(tables, options, TimeProvider.System);
        Partitions = new IndexPartitions(tables, options);
        Due = new DueIndex(Partitions);
    }

    public TransactionStore Transactions { get; }

    public IndexPartitions Partitions { get; }

    public DueIndex Due { get; }

    public async Task CreateTablesAsync(CancellationToken cancellationToken)
    {
        foreach (var table in new[] { _options.TransactionsTable, _options.DueTable, _options.AuditTable })
        {
            await _tables.GetTableClient(table).CreateIfNotExistsAsync(cancellationToken);
        }
    }
}
