using Azure;
using Azure.Data.Tables;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Storage;

/// <summary>
/// The due index: in the index partition of each transaction, one row (row key <c>d|</c> + tradeNo, so there is never a
/// second one) with the time of its next check. The poller reads, partition by partition, only the entries whose
/// time has come (the row-key range holds only due entries; the service applies the time filter), so its cost follows
/// the number of pending transactions, not the number ever made. A transaction leaves it only when it is final and
/// every event it wrote is on the events queue (the outbox invariant, docs/architecture.md).
/// </summary>
// Not sealed, its methods virtual: the outbox invariant's tests derive from it to fail or stop between two writes.
public class DueIndex(IndexPartitions partitions) : IDueIndex
{
    private const string Prefix = "d|";

    private TableClient Table => partitions.Table;

    public virtual async Task<DueEntry> ScheduleNewAsync(
        string tradeNo,
        TransactionKind kind,
        DateTimeOffset createdAt,
        DateTimeOffset dueAt,
        CancellationToken cancellationToken)
    {
        var (entry, due, created) = NewTransactionRows(partitions.PartitionOf(tradeNo), tradeNo, kind, createdAt, dueAt);
        var response = await Table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, due),
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, created),
        ], cancellationToken).ConfigureAwait(false);
        return entry with { ETag = response.Value[0].Headers.ETag ?? default };
    }

    /// <summary>
    /// A new transaction's first due entry and its row in the creation index, both in <paramref name="partition"/>.
    /// </summary>
    internal static (DueEntry Entry, TableEntity Due, TableEntity Created) NewTransactionRows(
        string partition,
        string tradeNo,
        TransactionKind kind,
        DateTimeOffset createdAt,
        DateTimeOffset dueAt)
    {
        var entry = new DueEntry(tradeNo, partition, dueAt, 0, default, createdAt);
        return (entry, Entity(entry), CreationIndex.Row(partition, tradeNo, kind, createdAt));
    }

    /// <summary>The index partition of a new transaction.</summary>
    public string PartitionOf(string tradeNo) => partitions.PartitionOf(tradeNo);

    /// <summary>
    /// Puts a transaction in the due index, or moves its entry, unconditionally (seeding, tests). The engine moves an
    /// entry with <see cref="MoveDueAsync"/>, conditional on the version it read.
    /// </summary>
    public virtual async Task<DueEntry> ScheduleAsync(
        string tradeNo,
        DateTimeOffset dueAt,
        int attempt,
        DateTimeOffset? createdAt,
        CancellationToken cancellationToken) =>
        await ScheduleAsync(tradeNo, partitions.PartitionOf(tradeNo), dueAt, attempt, createdAt, cancellationToken).ConfigureAwait(false);

    private async Task<DueEntry> ScheduleAsync(
        string tradeNo,
        string partition,
        DateTimeOffset dueAt,
        int attempt,
        DateTimeOffset? createdAt,
        CancellationToken cancellationToken)
    {
        var entry = new DueEntry(tradeNo, partition, dueAt, attempt, default, createdAt);
        var response = await Table.UpsertEntityAsync(Entity(entry), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return entry with { ETag = response.Headers.ETag ?? default };
    }

    public virtual async Task<(DueEntry Entry, bool Existed)> EnsureDueAsync(
        string tradeNo,
        string? partition,
        DateTimeOffset dueAt,
        DateTimeOffset createdAt,
        CancellationToken cancellationToken)
    {
        var entry = new DueEntry(tradeNo, partition ?? partitions.PartitionOf(tradeNo), dueAt, 0, default, createdAt);
        try
        {
            var response = await Table.AddEntityAsync(Entity(entry), cancellationToken).ConfigureAwait(false);
            return (entry with { ETag = response.Headers.ETag ?? default }, false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return (await ScheduleAsync(tradeNo, entry.Partition, dueAt, 0, createdAt, cancellationToken).ConfigureAwait(false), true);
        }
    }

    public virtual async Task<DueEntry?> MoveDueAsync(
        DueEntry entry,
        DateTimeOffset dueAt,
        int attempt,
        CancellationToken cancellationToken)
    {
        var moved = entry with { DueAt = dueAt, Attempt = attempt };
        try
        {
            var response = await Table.UpdateEntityAsync(Entity(moved), entry.ETag, TableUpdateMode.Replace, cancellationToken)
                .ConfigureAwait(false);
            return moved with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return null;
        }
    }

    public virtual async Task<bool> BringDueForwardAsync(
        string tradeNo,
        string? partition,
        DateTimeOffset dueAt,
        CancellationToken cancellationToken)
    {
        try
        {
            await Table.UpdateEntityAsync(
                    new TableEntity(partition ?? partitions.PartitionOf(tradeNo), Prefix + tradeNo)
                    {
                        ["DueAt"] = dueAt,
                        ["Attempt"] = 0,
                    },
                    ETag.All,
                    TableUpdateMode.Merge,
                    cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    public virtual async Task<(IReadOnlyList<DueEntry> Entries, bool More)> GetDueAsync(
        DateTimeOffset now,
        int max,
        CancellationToken cancellationToken)
    {
        var names = await partitions.AllAsync(cancellationToken).ConfigureAwait(false);
        // A share of the batch from each partition; one more row than the share tells whether a partition has more.
        var share = Math.Max(1, (max + names.Count - 1) / names.Count);
        var reads = await Task.WhenAll(names.Select(name => ReadAsync(name, now, share + 1, cancellationToken))).ConfigureAwait(false);
        return ([.. reads.SelectMany(read => read.Take(share))], reads.Any(read => read.Count > share));
    }

    public virtual async Task<IReadOnlyList<DueEntry>> GetScheduledAsync(int max, CancellationToken cancellationToken)
    {
        var names = await partitions.AllAsync(cancellationToken).ConfigureAwait(false);
        var reads = await Task.WhenAll(names.Select(name => ReadAsync(name, null, max, cancellationToken))).ConfigureAwait(false);
        return [.. reads.SelectMany(read => read)];
    }

    public virtual async Task<DueEntry?> GetDueEntryAsync(string tradeNo, string? partition, CancellationToken cancellationToken)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(
                partition ?? partitions.PartitionOf(tradeNo),
                Prefix + tradeNo,
                cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? EntryOf(response.Value!) : null;
    }

    public virtual async Task<bool> RemoveDueAsync(string tradeNo, string? partition, ETag ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            await Table.DeleteEntityAsync(partition ?? partitions.PartitionOf(tradeNo), Prefix + tradeNo, ifMatch, cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
    }

    private async Task<List<DueEntry>> ReadAsync(string partition, DateTimeOffset? now, int max, CancellationToken cancellationToken)
    {
        // The row-key range holds exactly the due entries (the creation index's keys start with '~'); the time filter is
        // applied by the service, so only the entries whose time has come are returned.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {Prefix} and RowKey lt {"d}"}");
        if (now is { } at)
        {
            filter += " and " + TableClient.CreateQueryFilter($"DueAt le {at}");
        }
        var result = new List<DueEntry>();
        await foreach (var page in Table.QueryAsync<TableEntity>(
                filter,
                maxPerPage: Math.Min(max, 1000),
                cancellationToken: cancellationToken)
            .AsPages()
            .ConfigureAwait(false))
        {
            foreach (var entity in page.Values)
            {
                FunctionsMetrics.EntitiesRead.Add(1);
                result.Add(EntryOf(entity));
                if (result.Count >= max)
                {
                    return result;
                }
            }
        }
        return result;
    }

    private static TableEntity Entity(DueEntry entry) => new(entry.Partition, Prefix + entry.TradeNo)
    {
        ["TradeNo"] = entry.TradeNo,
        ["DueAt"] = entry.DueAt,
        ["Attempt"] = entry.Attempt,
        ["CreatedAt"] = entry.CreatedAt,
    };

    private static DueEntry EntryOf(TableEntity entity) =>
        new(
            entity.GetString("TradeNo") ?? entity.RowKey[Prefix.Length..],
            entity.PartitionKey,
            entity.GetDateTimeOffset("DueAt") ?? default,
            entity.GetInt32("Attempt") ?? 0,
            entity.ETag,
            entity.GetDateTimeOffset("CreatedAt"));
}
