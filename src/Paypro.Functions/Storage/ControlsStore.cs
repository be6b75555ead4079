using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Storage;

/// <summary>
/// The Controls table: the day limits' counts (a pool, partition <c>day-yyyyMMdd</c>, and its shares, partitions
/// <c>day-yyyyMMdd-NN</c>, one entity each),
/// the counts per mobile number (partition <c>mobile-yyyyMMdd-XX</c> by a hash of the number, row key the hash), and the
/// held list (partition <c>held</c>, row key the tradeNo). A count changes only by a single-entity write conditional on
/// the version read (never in a batch: Azurite ignores If-Match there), so racing instances never lose an addition.
/// </summary>
internal sealed class ControlsStore : IControlsStore
{
    private const string HeldPartition = "held";

    /// <summary>Attempts at one addition before giving up: each conflict means another instance's addition went in.</summary>
    private const int MaxAttempts = 200;

    private readonly TableClient _table;

    public ControlsStore(TableServiceClient tables, IOptions<StorageOptions> options)
    {
        _table = tables.GetTableClient(options.Value.ControlsTable);
    }

    public async Task<Counts> UpdateAsync(
        string partition,
        string row,
        Func<Counts, Counts?> change,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 1; ; attempt++)
        {
            var read = await _table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            FunctionsMetrics.EntitiesRead.Add(1);
            var entity = read.HasValue ? read.Value : null;
            var current = entity is null ? default : CountsOf(entity);
            if (change(current) is not { } changed)
            {
                return current;
            }
            try
            {
                var written = new TableEntity(partition, row)
                {
                    ["Amount"] = changed.Used.Amount,
                    ["Count"] = changed.Used.Count,
                    ["AllottedAmount"] = changed.Allotted.Amount,
                    ["AllottedCount"] = changed.Allotted.Count,
                };
                if (entity is null)
                {
                    await _table.AddEntityAsync(written, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _table.UpdateEntityAsync(written, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }
                return changed;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Another instance's change went in first: read it and decide again, after a short random pause so that
                // the instances that lost this round do not all come back at once.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 + Math.Min(attempt, 20) * 2)), cancellationToken)
                    .ConfigureAwait(false);
            }
        }
    }

    public async Task<IReadOnlyList<Counts>> GetCountsAsync(string partitionPrefix, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {partitionPrefix} and PartitionKey lt {partitionPrefix + "~"}");
        var counts = new List<Counts>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            counts.Add(CountsOf(entity));
        }
        return counts;
    }

    private static Counts CountsOf(TableEntity entity) =>
        new(
            new Tally(entity.GetInt64("Amount") ?? 0, entity.GetInt64("Count") ?? 0),
            new Tally(entity.GetInt64("AllottedAmount") ?? 0, entity.GetInt64("AllottedCount") ?? 0));

    public async Task<int> DeleteCountsBeforeAsync(string dayKey, int max, CancellationToken cancellationToken)
    {
        // Keys start with the day (day-yyyyMMdd..., mobile-yyyyMMdd-...), so each kind's old counts are one key range; a
        // delete per entity, since they spread over many partitions and a batch holds one.
        var deleted = 0;
        if (max <= 0)
        {
            return 0;
        }
        foreach (var prefix in new[] { "day-", "mobile-" })
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey ge {prefix} and PartitionKey lt {prefix + dayKey}");
            await foreach (var entity in _table.QueryAsync<TableEntity>(
                    filter,
                    maxPerPage: Math.Clamp(max - deleted, 1, 1000),
                    select: ["PartitionKey", "RowKey"],
                    cancellationToken: cancellationToken)
                .ConfigureAwait(false))
            {
                if (deleted >= max)
                {
                    return deleted;
                }
                FunctionsMetrics.EntitiesRead.Add(1);
                await _table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
        }
        return deleted;
    }

    public async Task AddHeldAsync(HeldEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await _table.UpsertEntityAsync(new TableEntity(HeldPartition, entry.TradeNo)
        {
            ["Amount"] = entry.Amount,
            ["HeldAt"] = entry.HeldAt,
            ["Reason"] = TransactionStore.Truncate(entry.Reason, 1_000),
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<HeldEntry>> GetHeldAsync(int max, CancellationToken cancellationToken)
    {
        var held = new List<HeldEntry>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(
                e => e.PartitionKey == HeldPartition,
                maxPerPage: Math.Min(max, 1000),
                cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            held.Add(new HeldEntry(
                entity.RowKey,
                entity.GetInt64("Amount") ?? 0,
                entity.GetDateTimeOffset("HeldAt") ?? default,
                entity.GetString("Reason") ?? ""));
            if (held.Count == max)
            {
                break;
            }
        }
        return held.OrderBy(e => e.HeldAt).ThenBy(e => e.TradeNo, StringComparer.Ordinal).ToList();
    }

    public async Task RemoveHeldAsync(string tradeNo, CancellationToken cancellationToken)
    {
        try
        {
            await _table.DeleteEntityAsync(HeldPartition, tradeNo, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Not on the list (any more): nothing to take off.
        }
    }
}
