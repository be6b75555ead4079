using System.Buffers;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Storage;

/// <summary>The outcome of a conditional write.</summary>
public enum WriteOutcome
{
    Written,

    /// <summary>Another writer got there first (the record exists, or moved on since it was read): re-read and decide again.</summary>
    Conflict,
}

/// <summary>A pending transaction's place in the due index.</summary>
public sealed record DueEntry(string TradeNo, DateTimeOffset DueAt, int Attempt, string RowKey);

/// <summary>An event waiting in the outbox, or already sent.</summary>
public sealed record OutboxEvent(string TradeNo, string EventName, string Payload, bool Dispatched, ETag ETag);

/// <summary>What a conditional write did, and the outbox event it wrote with the change, if any.</summary>
public readonly record struct WriteResult(WriteOutcome Outcome, OutboxEvent? Event);

/// <summary>One line of a transaction's history.</summary>
public sealed record HistoryEntry(DateTimeOffset At, string Category, string Verdict, string? Detail);

/// <summary>
/// All Table Storage access, in three tables:
/// <list type="bullet">
/// <item>Transactions: partition = tradeNo. The record (<c>record</c>), one row per revision (<c>rev|000001</c>,
/// the state-change log) and one outbox row per announced event (<c>event|succeeded</c>). A state change,
/// its revision row and its event are one batch in one partition, so they are written together or not at all.</item>
/// <item>Due: partition <c>due</c>, row key = due time in ticks + tradeNo. The poller reads only rows whose time has
/// come, so its cost follows the number of pending transactions, not the number ever made.</item>
/// <item>Audit: partition = tradeNo (or <c>_unmatched</c>), append-only: every callback with its verdict, every call to Paypro.</item>
/// </list>
/// </summary>
public class TransactionStore
{
    public const string RecordRowKey = "record";
    public const string DuePartition = "due";
    public const string UnmatchedPartition = "_unmatched";
    private const string RevisionPrefix = "rev|";
    private const string EventPrefix = "event|";


    private readonly TableClient _transactions;
    private readonly TableClient _audit;
    private readonly TableClient _due;
    private readonly TimeProvider _time;

    protected TransactionStore()
    {
        _transactions = null!;
        _audit = null!;
        _due = null!;
        _time = TimeProvider.System;
    }

    public TransactionStore(TableServiceClient tables, IOptions<StorageOptions> options, TimeProvider time)
    {
        _transactions = tables.GetTableClient(options.Value.TransactionsTable);
        _audit = tables.GetTableClient(options.Value.AuditTable);
        _due = tables.GetTableClient(options.Value.DueTable);
        _time = time;
    }

    public virtual async Task CreateTablesAsync(CancellationToken cancellationToken)
    {
        await _transactions.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await _audit.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await _due.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Point read of a transaction; null when the tradeNo is unknown.</summary>
    public virtual async Task<TransactionRecord?> GetAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var response = await _transactions.GetEntityIfExistsAsync<TableEntity>(tradeNo, RecordRowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!response.HasValue)
        {
            return null;
        }
        FunctionsMetrics.EntitiesRead.Add(1);
        return FromEntity(response.Value!);
    }

    /// <summary>
    /// Writes a new record (<paramref name="isNew"/>) or a change to one read earlier, with its revision row
    /// and, when the change announces one, its outbox event, as one batch.
    /// </summary>
    /// <returns><see cref="WriteOutcome.Conflict"/> when another writer created or changed the record first; when written, the outbox event written with it.</returns>
    /// <remarks>The detail (a Paypro answer, a callback's verdict) is kept on the revision row: the revision rows are the audit of every state change and every create call.</remarks>
    public virtual async Task<WriteResult> WriteAsync(TransactionRecord record, bool isNew, Transition transition, string source, string? detail, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var revision = isNew ? 1 : record.Revision + 1;
        var entity = ToEntity(record, revision);
        var actions = new List<TableTransactionAction>(3)
        {
            isNew
                ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, record.ETag),
            new(TableTransactionActionType.Add, new TableEntity(record.TradeNo, RevisionKey(revision))
            {
                ["State"] = record.State.ToWire(),
                ["Source"] = source,
                ["At"] = now,
                ["Detail"] = Join(detail, transition.Anomaly ?? (transition.EventName is null ? null : "announces " + TransactionEvents.EventType(record.Kind, transition.EventName))),
            }),
        };
        string? payload = null;
        if (transition.EventName is { } eventName)
        {
            payload = TransactionEvents.Build(record, eventName, now, transition.Anomaly);
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(record.TradeNo, EventPrefix + eventName)
            {
                ["EventId"] = TransactionEvents.EventId(record.TradeNo, eventName),
                ["Payload"] = payload,
                ["Dispatched"] = false,
                ["CreatedAt"] = now,
            }));
        }
        try
        {
            var response = await _transactions.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            record.Revision = revision;
            record.ETag = response.Value[0].Headers.ETag ?? default;
            var written = transition.EventName is { } name
                ? new OutboxEvent(record.TradeNo, name, payload!, false, response.Value[^1].Headers.ETag ?? ETag.All)
                : null;
            return new WriteResult(WriteOutcome.Written, written);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return new WriteResult(WriteOutcome.Conflict, null);
        }
    }

    /// <summary>The outbox events of a transaction that were not yet sent.</summary>
    public virtual async Task<IReadOnlyList<OutboxEvent>> GetUndispatchedAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo} and RowKey ge {EventPrefix} and RowKey lt {"event}"} and Dispatched eq {false}");
        var result = new List<OutboxEvent>();
        await foreach (var entity in _transactions.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            result.Add(new OutboxEvent(tradeNo, entity.RowKey[EventPrefix.Length..], entity.GetString("Payload") ?? "", false, entity.ETag));
        }
        return result;
    }

    /// <summary>Marks an outbox event as sent. A conflict means someone else marked it (or is sending it too).</summary>
    public virtual async Task MarkDispatchedAsync(OutboxEvent outboxEvent, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(outboxEvent.TradeNo, EventPrefix + outboxEvent.EventName)
        {
            ["Dispatched"] = true,
            ["DispatchedAt"] = _time.GetUtcNow(),
        };
        try
        {
            await _transactions.UpdateEntityAsync(entity, outboxEvent.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            // Already marked by a concurrent dispatcher: the event went out at least once, which is the contract.
        }
    }

    /// <summary>Puts a transaction in the due index; the poller looks at it once <paramref name="dueAt"/> has passed.</summary>
    public virtual async Task<DueEntry> ScheduleAsync(string tradeNo, DateTimeOffset dueAt, int attempt, CancellationToken cancellationToken)
    {
        var entry = new DueEntry(tradeNo, dueAt, attempt, DueKey(dueAt, tradeNo));
        await _due.UpsertEntityAsync(new TableEntity(DuePartition, entry.RowKey)
        {
            ["TradeNo"] = tradeNo,
            ["DueAt"] = dueAt,
            ["Attempt"] = attempt,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return entry;
    }

    /// <summary>The entries whose time has come, earliest first, at most <paramref name="max"/>.</summary>
    public virtual async Task<IReadOnlyList<DueEntry>> GetDueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        // Row keys sort by due time, so this range holds exactly the due entries.
        var upper = (now.UtcTicks + 1).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {DuePartition} and RowKey lt {upper}");
        var result = new List<DueEntry>();
        await foreach (var page in _due.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken).AsPages().ConfigureAwait(false))
        {
            foreach (var entity in page.Values)
            {
                FunctionsMetrics.EntitiesRead.Add(1);
                result.Add(new DueEntry(entity.GetString("TradeNo") ?? "", entity.GetDateTimeOffset("DueAt") ?? now, entity.GetInt32("Attempt") ?? 0, entity.RowKey));
                if (result.Count >= max)
                {
                    return result;
                }
            }
        }
        return result;
    }

    /// <summary>Takes an entry out of the due index; an entry that is gone already is no error.</summary>
    public virtual async Task RemoveDueAsync(string rowKey, CancellationToken cancellationToken)
    {
        await _due.DeleteEntityAsync(DuePartition, rowKey, ETag.All, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records on the transaction which due entry is now its own. A merge of that one property, unconditional:
    /// it changes the record's ETag, so a writer holding an older read re-reads and decides again.
    /// </summary>
    public virtual async Task SetDueKeyAsync(string tradeNo, string rowKey, CancellationToken cancellationToken)
    {
        await _transactions.UpdateEntityAsync(new TableEntity(tradeNo, RecordRowKey) { [nameof(TransactionRecord.DueKey)] = rowKey },
            ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends to the audit trail. Bodies are stored without their <c>sign</c>.</summary>
    public virtual async Task AppendAuditAsync(string? tradeNo, string category, string verdict, string? detail, string? body, string? sourceIp, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var partition = tradeNo is not null && Paypro.PayproValidation.TryValidateTradeNo(tradeNo, out _) ? tradeNo : UnmatchedPartition;
        var entity = new TableEntity(partition, $"{now.UtcTicks:D19}-{Guid.NewGuid():N}")
        {
            ["At"] = now,
            ["Category"] = category,
            ["Verdict"] = verdict,
            ["Detail"] = Truncate(detail, 4_000),
            ["Body"] = Truncate(body, 30_000),
            ["SourceIp"] = sourceIp,
            ["ClaimedTradeNo"] = partition == UnmatchedPartition ? Truncate(tradeNo, 128) : null,
        };
        await _audit.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A transaction's history: its audit trail and its state changes, oldest first.</summary>
    public virtual async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var history = new List<HistoryEntry>();
        var auditFilter = TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo}");
        await foreach (var entity in _audit.QueryAsync<TableEntity>(auditFilter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            history.Add(new HistoryEntry(entity.GetDateTimeOffset("At") ?? default, entity.GetString("Category") ?? "", entity.GetString("Verdict") ?? "", entity.GetString("Detail")));
        }
        var revisionFilter = TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo} and RowKey ge {RevisionPrefix} and RowKey lt {"rev}"}");
        await foreach (var entity in _transactions.QueryAsync<TableEntity>(revisionFilter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            history.Add(new HistoryEntry(entity.GetDateTimeOffset("At") ?? default, "state", entity.GetString("State") ?? "", Join(entity.GetString("Source"), entity.GetString("Detail"))));
        }
        history.Sort(static (a, b) => a.At.CompareTo(b.At));
        return history;
    }

    internal static string RevisionKey(int revision) => RevisionPrefix + revision.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    internal static string DueKey(DateTimeOffset dueAt, string tradeNo) =>
        dueAt.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture) + "|" + tradeNo;

    internal static TableEntity ToEntity(TransactionRecord record, int revision) => new(record.TradeNo, RecordRowKey)
    {
        ["Kind"] = record.Kind.ToWire(),
        ["State"] = record.State.ToWire(),
        ["Amount"] = record.Amount,
        ["Mobile"] = record.Mobile,
        ["Remark"] = record.Remark,
        ["NotifyUrl"] = record.NotifyUrl,
        ["Metadata"] = record.MetadataJson,
        ["CreatedAt"] = record.CreatedAt,
        ["UpdatedAt"] = record.UpdatedAt,
        ["SubmittedAt"] = record.SubmittedAt,
        ["FinalAt"] = record.FinalAt,
        ["Reason"] = record.Reason,
        ["NotSent"] = record.NotSent,
        ["SerialNumber"] = record.SerialNumber,
        ["PlatFormTradeNo"] = record.PlatFormTradeNo,
        ["PayproStatus"] = record.PayproStatus,
        ["PayproMessage"] = record.PayproMessage,
        ["PaidAmount"] = record.PaidAmount,
        ["SuccessTime"] = record.SuccessTimeUtc,
        ["MpesaReceiptNumber"] = record.MpesaReceiptNumber,
        ["StuckAt"] = record.StuckAt,
        ["Anomalies"] = record.Anomalies.Count == 0 ? null : WriteStringArray(record.Anomalies),
        ["DueKey"] = record.DueKey,
        ["Revision"] = revision,
    };

    internal static TransactionRecord FromEntity(TableEntity entity)
    {
        TransactionStateExtensions.TryParseWire(entity.GetString("Kind"), out TransactionKind kind);
        if (!TransactionStateExtensions.TryParseWire(entity.GetString("State"), out TransactionState state))
        {
            throw new InvalidDataException($"Transaction {entity.PartitionKey} has an unreadable state.");
        }
        return new TransactionRecord
        {
            TradeNo = entity.PartitionKey,
            Kind = kind,
            State = state,
            Amount = entity.GetInt64("Amount") ?? 0,
            Mobile = entity.GetString("Mobile") ?? "",
            Remark = entity.GetString("Remark"),
            NotifyUrl = entity.GetString("NotifyUrl"),
            MetadataJson = entity.GetString("Metadata"),
            CreatedAt = entity.GetDateTimeOffset("CreatedAt") ?? default,
            UpdatedAt = entity.GetDateTimeOffset("UpdatedAt") ?? default,
            SubmittedAt = entity.GetDateTimeOffset("SubmittedAt"),
            FinalAt = entity.GetDateTimeOffset("FinalAt"),
            Reason = entity.GetString("Reason"),
            NotSent = entity.GetBoolean("NotSent") ?? false,
            SerialNumber = entity.GetString("SerialNumber"),
            PlatFormTradeNo = entity.GetString("PlatFormTradeNo"),
            PayproStatus = entity.GetString("PayproStatus"),
            PayproMessage = entity.GetString("PayproMessage"),
            PaidAmount = entity.GetString("PaidAmount"),
            SuccessTimeUtc = entity.GetDateTimeOffset("SuccessTime"),
            MpesaReceiptNumber = entity.GetString("MpesaReceiptNumber"),
            StuckAt = entity.GetDateTimeOffset("StuckAt"),
            Anomalies = ReadStringArray(entity.GetString("Anomalies")),
            DueKey = entity.GetString("DueKey"),
            Revision = entity.GetInt32("Revision") ?? 0,
            ETag = entity.ETag,
        };
    }

    private static string WriteStringArray(List<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static List<string> ReadStringArray(string? json)
    {
        var result = new List<string>();
        if (string.IsNullOrEmpty(json))
        {
            return result;
        }
        using var document = JsonDocument.Parse(json);
        foreach (var element in document.RootElement.EnumerateArray())
        {
            result.Add(element.GetString() ?? "");
        }
        return result;
    }

    private static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..max] + "…";

    private static string? Join(string? a, string? b) => b is null ? a : a is null ? b : a + "; " + b;
}
