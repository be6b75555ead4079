using System.Globalization;
using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Paypro.Functions.Operations;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Storage;

/// <summary>
/// Reconciliation's records in the Audit table: the progress of each Kenya day in <c>_reconcile</c> (row key the day,
/// <c>yyyy-MM-dd</c>), and one row per transaction in the day's own partition <c>_reconcile|yyyy-MM-dd</c> (row key the
/// tradeNo), written in batches of up to 100, so a day of 10,000 transactions costs 100 writes.
/// </summary>
internal sealed class ReconciliationStore(TableServiceClient tables, IOptions<StorageOptions> options) : IReconciliationStore
{
    private const string DaysPartition = "_reconcile";
    private const int BatchSize = 100;

    private readonly TableClient _table = tables.GetTableClient(options.Value.AuditTable);

    public async Task<ReconciliationProgress?> GetDayAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(DaysPartition, DayKey(day), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (!response.HasValue)
        {
            return null;
        }
        FunctionsMetrics.EntitiesRead.Add(1);
        var entity = response.Value!;
        return new ReconciliationProgress
        {
            Day = day,
            Pass = entity.GetInt32("Pass") ?? 0,
            Cursor = entity.GetString("Cursor"),
            Walked = entity.GetBoolean("Walked") ?? false,
            Complete = entity.GetBoolean("Complete") ?? false,
            Agreed = entity.GetInt32("Agreed") ?? 0,
            Disagreed = entity.GetInt32("Disagreed") ?? 0,
            Pending = entity.GetInt32("Pending") ?? 0,
            NotChecked = entity.GetInt32("NotChecked") ?? 0,
            Rejected = entity.GetInt32("Rejected") ?? 0,
            Why = entity.GetString("Why"),
            StartedAt = entity.GetDateTimeOffset("StartedAt") ?? default,
            UpdatedAt = entity.GetDateTimeOffset("UpdatedAt") ?? default,
        };
    }

    public async Task<IReadOnlyList<(DateOnly Day, int Pass)>> GetIncompleteDaysAsync(
        DateOnly from,
        CancellationToken cancellationToken)
    {
        var days = new List<(DateOnly, int)>();
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {DaysPartition} and RowKey ge {DayKey(from)} and Complete eq {false}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(
                filter,
                select: ["RowKey", "Pass"],
                cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            if (DateOnly.TryParseExact(entity.RowKey, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                days.Add((day, entity.GetInt32("Pass") ?? 1));
            }
        }
        return days;
    }

    public async Task SaveDayAsync(ReconciliationProgress progress, CancellationToken cancellationToken) =>
        await _table.UpsertEntityAsync(new TableEntity(DaysPartition, DayKey(progress.Day))
        {
            ["Pass"] = progress.Pass,
            ["Cursor"] = progress.Cursor,
            ["Walked"] = progress.Walked,
            ["Complete"] = progress.Complete,
            ["Agreed"] = progress.Agreed,
            ["Disagreed"] = progress.Disagreed,
            ["Pending"] = progress.Pending,
            ["NotChecked"] = progress.NotChecked,
            ["Rejected"] = progress.Rejected,
            ["Why"] = TransactionStore.Truncate(progress.Why, 4_000),
            ["StartedAt"] = progress.StartedAt,
            ["UpdatedAt"] = progress.UpdatedAt,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);

    public async Task SaveRowsAsync(
        DateOnly day,
        IReadOnlyCollection<ReconciliationRow> rows,
        CancellationToken cancellationToken)
    {
        foreach (var chunk in rows.Chunk(BatchSize))
        {
            await _table.SubmitTransactionAsync(
                    chunk.Select(row => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Entity(day, row))),
                    cancellationToken)
                .ConfigureAwait(false);
        }
    }

    public async IAsyncEnumerable<ReconciliationRow> ListRowsAsync(DateOnly day, int pass, ReconcileOutcome? outcome,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RowsPartition(day)} and Pass eq {pass}");
        if (outcome is { } wanted)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Outcome eq {wanted.ToWire()}");
        }
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            yield return Row(entity);
        }
    }

    public async Task<int> DeleteDaysBeforeAsync(DateOnly before, int max, CancellationToken cancellationToken)
    {
        var deleted = 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {DaysPartition} and RowKey lt {DayKey(before)}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(
                filter,
                select: ["PartitionKey", "RowKey"],
                cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            if (deleted >= max)
            {
                break;
            }
            deleted += await TransactionStore.DeleteMatchingAsync(
                    _table,
                    TableClient.CreateQueryFilter($"PartitionKey eq {RowsPartition(entity.RowKey)}"),
                    max - deleted,
                    cancellationToken)
                .ConfigureAwait(false);
            if (deleted >= max)
            {
                break;
            }
            await _table.DeleteEntityAsync(DaysPartition, entity.RowKey, Azure.ETag.All, cancellationToken).ConfigureAwait(false);
            deleted++;
        }
        return deleted;
    }

    private static TableEntity Entity(DateOnly day, ReconciliationRow row) => new(RowsPartition(day), row.TradeNo)
    {
        ["Kind"] = row.Kind.ToWire(),
        ["Pass"] = row.Pass,
        ["Outcome"] = row.Outcome.ToWire(),
        ["State"] = row.State.ToWire(),
        ["Amount"] = row.Amount,
        ["Disagreements"] = row.Disagreements.Count == 0 ? null : string.Join(',', row.Disagreements),
        ["Critical"] = row.Critical,
        ["PayproStatus"] = row.PayproStatus,
        ["PayproAmount"] = TransactionStore.Truncate(row.PayproAmount, 64),
        ["PayproPlatFormTradeNo"] = TransactionStore.Truncate(row.PayproPlatFormTradeNo, 128),
        ["Detail"] = TransactionStore.Truncate(row.Detail, 4_000),
        ["At"] = row.At,
    };

    private static ReconciliationRow Row(TableEntity entity)
    {
        TransactionStateExtensions.TryParseWire(entity.GetString("Kind"), out TransactionKind kind);
        TransactionStateExtensions.TryParseWire(entity.GetString("State"), out TransactionState state);
        var outcome = Enum.GetValues<ReconcileOutcome>().FirstOrDefault(o => o.ToWire() == entity.GetString("Outcome"));
        var disagreements = (entity.GetString("Disagreements") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(text => Enum.TryParse<DisagreementKind>(text, out var parsed) ? parsed : DisagreementKind.State).ToList();
        return new ReconciliationRow(
            entity.RowKey,
            kind,
            entity.GetInt32("Pass") ?? 0,
            outcome,
            state,
            entity.GetInt64("Amount") ?? 0,
            disagreements,
            entity.GetBoolean("Critical") ?? false,
            entity.GetString("PayproStatus"),
            entity.GetString("PayproAmount"),
            entity.GetString("PayproPlatFormTradeNo"),
            entity.GetString("Detail"),
            entity.GetDateTimeOffset("At") ?? default);
    }

    private static string DayKey(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string RowsPartition(DateOnly day) => RowsPartition(DayKey(day));

    private static string RowsPartition(string dayKey) => DaysPartition + "|" + dayKey;
}
