using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Storage;

/// <summary>
/// The partitions of the index table (<c>{prefix}Due</c>) that hold the due index and the creation index: a new
/// transaction's rows go to one of <see cref="StorageOptions.IndexPartitions"/> partitions, chosen by a hash of its
/// tradeNo, and the record keeps which one, so no partition takes every index write of the app (Table Storage serves
/// about 2,000 entities per second per partition). Reads cover every partition that may hold rows: the current count,
/// and the highest count ever used, recorded in the table itself (row <c>_layout</c>/<c>partitions</c>), so lowering the
/// setting strands nothing.
/// </summary>
public sealed class IndexPartitions
{
    private const string LayoutPartition = "_layout";
    private const string LayoutRow = "partitions";
    private const string CountProperty = "Count";

    private readonly int _count;

    // The highest count the layout row records, once read; settings change only with a restart of the app.
    private int _known;

    public IndexPartitions(TableServiceClient tables, IOptions<StorageOptions> options)
    {
        Table = tables.GetTableClient(options.Value.DueTable);
        _count = options.Value.IndexPartitions;
    }

    /// <summary>The index table.</summary>
    public TableClient Table { get; }

    /// <summary>The partition of a new transaction's index rows.</summary>
    public string PartitionOf(string tradeNo) => Name((int)(Fnv1a(tradeNo) % (uint)_count));

    public static string Name(int index) => "ix" + index.ToString("D3", CultureInfo.InvariantCulture);

    /// <summary>
    /// Every partition that may hold index rows. The first call reads the layout row (one entity) and records the
    /// current count in it when that is higher, conditionally, so two instances with different counts keep the higher.
    /// </summary>
    public async Task<IReadOnlyList<string>> AllAsync(CancellationToken cancellationToken)
    {
        var known = Volatile.Read(ref _known);
        if (known == 0)
        {
            known = await RecordAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _known, known);
        }
        return Enumerable.Range(0, Math.Max(known, _count)).Select(Name).ToList();
    }

    private async Task<int> RecordAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var row = await Table.GetEntityIfExistsAsync<TableEntity>(LayoutPartition, LayoutRow, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            var recorded = row.HasValue ? row.Value!.GetInt32(CountProperty) ?? 0 : 0;
            if (recorded >= _count || attempt == 3)
            {
                return Math.Max(recorded, _count);
            }
            try
            {
                var entity = new TableEntity(LayoutPartition, LayoutRow) { [CountProperty] = _count };
                if (row.HasValue)
                {
                    await Table.UpdateEntityAsync(entity, row.Value!.ETag, TableUpdateMode.Replace, cancellationToken)
                        .ConfigureAwait(false);
                }
                else
                {
                    await Table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                }
                return _count;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another instance recorded its count meanwhile: read again, keep the higher.
            }
        }
    }

    /// <summary>FNV-1a over the tradeNo's characters: stable across processes and versions, unlike string.GetHashCode.</summary>
    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash;
    }
}
