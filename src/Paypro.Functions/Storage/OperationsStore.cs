using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Storage;

/// <summary>
/// The Audit table: callbacks that belong to no transaction, append-only, each in a partition of its kind (refused
/// ones in <c>_refused</c>, never in the partition of the transaction they name; those naming a tradeNo the app does
/// not know in <c>_unmatched</c>), row key = write time in ticks + a guid; the reasons of the messages the app moved
/// to a poison queue (<c>_poison</c>); the audit retention cursor (<c>_retention</c>); and the last found answer to a
/// status query (<c>_channel</c>); the transactions audit retention is to visit again (<c>_revisit</c>, row key = when +
/// tradeNo).
/// </summary>
public sealed class OperationsStore : IOperationsStore
{
    public const string PoisonPartition = "_poison";
    private const string RetentionPartition = "_retention";
    private const string ChannelPartition = "_channel";
    private const string RevisitPartition = "_revisit";
    private const string ChannelRow = "query";

    private readonly TableClient _audit;
    private readonly TimeProvider _time;

    public OperationsStore(TableServiceClient tables, IOptions<StorageOptions> options, TimeProvider time)
    {
        _audit = tables.GetTableClient(options.Value.AuditTable);
        _time = time;
    }

    public async Task AppendAsideAsync(
        string partition,
        string? claimedTradeNo,
        AuditEntry entry,
        CancellationToken cancellationToken)
    {
        var entity = TransactionStore.AuditEntity(partition, "", _time.GetUtcNow(), entry);
        entity["ClaimedTradeNo"] = TransactionStore.Truncate(claimedTradeNo, 128);
        await _audit.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
    }

    public Task<int> DeleteAsideBeforeAsync(
        string partition,
        DateTimeOffset before,
        int max,
        CancellationToken cancellationToken) =>
        TransactionStore.DeleteBeforeAsync(_audit, partition, "", before, max, cancellationToken);

    public async Task RecordPoisonReasonAsync(
        string poisonQueue,
        string poisonMessageId,
        string reason,
        CancellationToken cancellationToken)
    {
        await _audit.UpsertEntityAsync(new TableEntity(PoisonPartition, poisonQueue + "|" + poisonMessageId)
        {
            ["At"] = _time.GetUtcNow(),
            ["Category"] = "message",
            ["Verdict"] = "poisoned",
            ["Detail"] = TransactionStore.Truncate(reason, 4_000),
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string?> GetPoisonReasonAsync(
        string poisonQueue,
        string poisonMessageId,
        CancellationToken cancellationToken)
    {
        var response = await _audit.GetEntityIfExistsAsync<TableEntity>(
                PoisonPartition,
                poisonQueue + "|" + poisonMessageId,
                cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetString("Detail") : null;
    }

    public async Task<int> DeletePoisonReasonsBeforeAsync(DateTimeOffset before, int max, CancellationToken cancellationToken)
    {
        // Keyed by queue and message id, not by time: the service filters on the time, so only the rows deleted come back.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PoisonPartition} and At lt {before}");
        return await TransactionStore.DeleteMatchingAsync(_audit, filter, max, cancellationToken).ConfigureAwait(false);
    }

    public async Task ScheduleRevisitAsync(string tradeNo, DateTimeOffset at, CancellationToken cancellationToken) =>
        await _audit.UpsertEntityAsync(
                new TableEntity(RevisitPartition, RevisitKey(at, tradeNo)) { ["TradeNo"] = tradeNo, ["At"] = at },
                TableUpdateMode.Replace,
                cancellationToken)
            .ConfigureAwait(false);

    public async Task<IReadOnlyList<Revisit>> GetRevisitsBeforeAsync(
        DateTimeOffset before,
        int max,
        CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RevisitPartition} and RowKey lt {RevisitKey(before, "")}");
        var revisits = new List<Revisit>();
        await foreach (var entity in _audit.QueryAsync<TableEntity>(filter, maxPerPage: max, cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            revisits.Add(new Revisit(entity.GetString("TradeNo") ?? "", entity.GetDateTimeOffset("At") ?? default, entity.RowKey));
            if (revisits.Count == max)
            {
                break;
            }
        }
        return revisits;
    }

    public async Task RemoveRevisitAsync(Revisit revisit, CancellationToken cancellationToken) =>
        await _audit.DeleteEntityAsync(RevisitPartition, revisit.Key, ETag.All, cancellationToken).ConfigureAwait(false);

    private static string RevisitKey(DateTimeOffset at, string tradeNo) =>
        at.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture) + "|" + tradeNo;

    public async Task<DateTimeOffset?> GetRetentionCursorAsync(CancellationToken cancellationToken)
    {
        var response = await _audit.GetEntityIfExistsAsync<TableEntity>(RetentionPartition, "cursor", cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetDateTimeOffset("CreatedBefore") : null;
    }

    public async Task SetRetentionCursorAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken)
    {
        await _audit.UpsertEntityAsync(
                new TableEntity(RetentionPartition, "cursor") { ["CreatedBefore"] = createdBefore, ["At"] = _time.GetUtcNow() },
                TableUpdateMode.Replace,
                cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<QueryChannelMark?> GetQueryChannelMarkAsync(CancellationToken cancellationToken)
    {
        var response = await _audit.GetEntityIfExistsAsync<TableEntity>(ChannelPartition, ChannelRow, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (!response.HasValue)
        {
            return null;
        }
        var entity = response.Value!;
        TransactionStateExtensions.TryParseWire(entity.GetString("Kind"), out TransactionKind kind);
        return new QueryChannelMark(
            entity.GetDateTimeOffset("FoundAt"),
            entity.GetString("FoundCredentials"),
            entity.GetString("TradeNo"),
            kind,
            entity.GetDateTimeOffset("FailedAt"),
            entity.GetString("FailedCredentials"));
    }

    // Merged, not replaced: one instance recording a found answer and another a failure both keep theirs.
    public async Task RecordQueryFoundAsync(
        DateTimeOffset at,
        string credentials,
        string tradeNo,
        TransactionKind kind,
        CancellationToken cancellationToken) =>
        await _audit.UpsertEntityAsync(new TableEntity(ChannelPartition, ChannelRow)
        {
            ["FoundAt"] = at,
            ["FoundCredentials"] = credentials,
            ["TradeNo"] = tradeNo,
            ["Kind"] = kind.ToWire(),
        }, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);

    public async Task RecordQueryFailedAsync(DateTimeOffset at, string credentials, CancellationToken cancellationToken) =>
        await _audit.UpsertEntityAsync(
                new TableEntity(ChannelPartition, ChannelRow) { ["FailedAt"] = at, ["FailedCredentials"] = credentials },
                TableUpdateMode.Merge,
                cancellationToken)
            .ConfigureAwait(false);
}
