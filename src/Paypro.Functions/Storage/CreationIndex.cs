using System.Globalization;
using Azure.Data.Tables;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Storage;

/// <summary>
/// The creation index: row key <c>~created|</c> + creation time in ticks + tradeNo, in the index partition of the
/// transaction (beside its due entry, written in one batch with the first one, before the record). A listing merges
/// the partitions in creation order, reading each a little at a time, so its cost follows the rows it returns.
/// </summary>
internal sealed class CreationIndex(IndexPartitions partitions) : ICreationIndex
{
    /// <summary>Row keys of the creation index; '~' sorts after the due entries' <c>d|</c>.</summary>
    public const string Prefix = "~created|";

    public async Task<CreatedPage> ListCreatedAsync(
        DateTimeOffset from,
        DateTimeOffset to,
        TransactionKind? kind,
        int pageSize,
        string? continuationToken,
        CancellationToken cancellationToken)
    {
        // The token is the row key of the last row returned: every partition shares the key space, so it says where
        // each of them goes on from.
        var lower = continuationToken is not null && continuationToken.StartsWith(Prefix, StringComparison.Ordinal)
            ? TableClient.CreateQueryFilter($"RowKey gt {continuationToken}")
            : TableClient.CreateQueryFilter($"RowKey ge {Bound(from)}");
        var filter = lower + " and " + TableClient.CreateQueryFilter($"RowKey lt {Bound(to)}");
        if (kind is { } wanted)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Kind eq {wanted.ToWire()}");
        }
        var names = await partitions.AllAsync(cancellationToken).ConfigureAwait(false);
        // Each partition is read a slice at a time, so a page reads about twice its rows plus one slice per partition.
        var slice = Math.Max(1, pageSize / names.Count) + 1;
        var cursors = new List<IAsyncEnumerator<TableEntity>>(names.Count);
        var heads = new PriorityQueue<int, string>(StringComparer.Ordinal);
        try
        {
            foreach (var name in names)
            {
                cursors.Add(partitions.Table.QueryAsync<TableEntity>(
                        TableClient.CreateQueryFilter($"PartitionKey eq {name}") + " and " + filter,
                        maxPerPage: slice,
                        cancellationToken: cancellationToken)
                    .GetAsyncEnumerator(cancellationToken));
            }
            var first = await Task.WhenAll(cursors.Select(c => c.MoveNextAsync().AsTask())).ConfigureAwait(false);
            for (var i = 0; i < cursors.Count; i++)
            {
                if (first[i])
                {
                    FunctionsMetrics.EntitiesRead.Add(1);
                    heads.Enqueue(i, cursors[i].Current.RowKey);
                }
            }
            var entries = new List<CreatedEntry>(pageSize);
            string? last = null;
            while (entries.Count < pageSize && heads.TryDequeue(out var index, out var key))
            {
                var entity = cursors[index].Current;
                TransactionStateExtensions.TryParseWire(entity.GetString("Kind"), out TransactionKind entryKind);
                entries.Add(new CreatedEntry(entity.GetString("TradeNo") ?? "", entryKind, entity.GetDateTimeOffset("CreatedAt") ?? default)
                {
                    Key = key,
                });
                last = key;
                if (await cursors[index].MoveNextAsync().ConfigureAwait(false))
                {
                    FunctionsMetrics.EntitiesRead.Add(1);
                    heads.Enqueue(index, cursors[index].Current.RowKey);
                }
            }
            return new CreatedPage(entries, heads.Count > 0 ? last : null);
        }
        finally
        {
            foreach (var cursor in cursors)
            {
                await cursor.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>A new transaction's row in the creation index, in its index partition.</summary>
    internal static TableEntity Row(string partition, string tradeNo, TransactionKind kind, DateTimeOffset createdAt) =>
        new(partition, Key(createdAt, tradeNo))
        {
            ["TradeNo"] = tradeNo,
            ["Kind"] = kind.ToWire(),
            ["CreatedAt"] = createdAt,
        };

    internal static string Key(DateTimeOffset createdAt, string tradeNo) => Bound(createdAt) + "|" + tradeNo;

    private static string Bound(DateTimeOffset at) => Prefix + Math.Max(at.UtcTicks, 0).ToString("D19", CultureInfo.InvariantCulture);
}
