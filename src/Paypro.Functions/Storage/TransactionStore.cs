using System.Buffers;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Paypro.Functions.Outbox;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Storage;

/// <summary>
/// A transaction's partition of the Transactions table (partition = tradeNo): the record (<c>record</c>), one row per
/// revision (<c>rev|000001</c>, the state-change log), one outbox row per announced event (<c>event|succeeded</c>), the
/// audit trail (<c>audit|</c> + write time in ticks: every callback applied to it, every query to Paypro, every failed
/// delivery of its message) and the fingerprint of a request that came in over HTTP (<c>intake</c>). A change, its
/// revision row, its event and the audit row of what caused it are one batch in one partition, so they are written
/// together or not at all.
/// </summary>
// Not sealed, its methods virtual: the outbox invariant's tests derive from it to fail or stop between two writes.
public class TransactionStore : ITransactionStore
{
    public const string RecordRowKey = "record";
    public const string IntakeRowKey = "intake";
    private const string RevisionPrefix = "rev|";
    private const string EventPrefix = "event|";
    private const string AuditPrefix = "audit|";

    private readonly TableClient _transactions;
    private readonly TimeProvider _time;

    /// <param name="tables">The account's tables.</param>
    /// <param name="options">The table names.</param>
    /// <param name="time">The clock of every time the store writes.</param>
    /// <param name="clientOptions">
    /// The table client's options as the Azure client factory registered them: their retry settings bound how long an
    /// insert may still succeed (<see cref="RecordInsertWindow"/>). The SDK's defaults when absent.
    /// </param>
    public TransactionStore(
        TableServiceClient tables,
        IOptions<StorageOptions> options,
        TimeProvider time,
        IOptionsMonitor<TableClientOptions>? clientOptions = null)
    {
        _transactions = tables.GetTableClient(options.Value.TransactionsTable);
        _time = time;
        RecordInsertWindow = InsertWindowOf((clientOptions?.Get(DefaultClientName) ?? new TableClientOptions()).Retry);
    }

    /// <summary>The name under which the Azure client factory keeps the options of a client registered without one.</summary>
    private const string DefaultClientName = "Default";

    /// <summary>
    /// The longest time after a new transaction's due entry is written during which its record's insert may still
    /// succeed: the entry's own write and then the record's batch, each retried by the storage client (every try up to
    /// its network timeout, the waits between tries up to the longest delay), plus a minute for a request the client
    /// gave up on that the service still executes. Until then an entry without a record is not an orphan.
    /// </summary>
    public TimeSpan RecordInsertWindow { get; }

    internal static TimeSpan InsertWindowOf(Azure.Core.RetryOptions retry)
    {
        var oneWrite = (retry.MaxRetries + 1) * retry.NetworkTimeout
            + retry.MaxRetries * (retry.Mode == Azure.Core.RetryMode.Fixed ? retry.Delay : retry.MaxDelay);
        return 2 * oneWrite + TimeSpan.FromMinutes(1);
    }

    /// <summary>Point read of a transaction; null when the tradeNo is unknown.</summary>
    public virtual async Task<TransactionRecord?> GetAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var response = await _transactions.GetEntityIfExistsAsync<TableEntity>(tradeNo, RecordRowKey, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (!response.HasValue)
        {
            return null;
        }
        FunctionsMetrics.EntitiesRead.Add(1);
        return FromEntity(response.Value!);
    }

    /// <summary>
    /// Writes a new record (<paramref name="isNew"/>) or a change to one read earlier, with its revision row
    /// and, when the change announces one, its outbox row, as one batch. The store does not build events: the
    /// outbox row is the exact message, as given.
    /// </summary>
    /// <returns>
    /// <see cref="WriteOutcome.Conflict"/> when another writer created or changed the record first; when written, the outbox
    /// event written with it.
    /// </returns>
    /// <remarks>
    /// The detail (a Paypro answer, a callback's verdict) is kept on the revision row: the revision rows are the audit of
    /// every state change and every create call. <c>at</c> is when the change was decided: the revision row's time and
    /// the event's, which its payload carries too.
    /// </remarks>
    public virtual async Task<WriteResult> WriteAsync(
        TransactionRecord record,
        bool isNew,
        string source,
        string? detail,
        DateTimeOffset at,
        OutboxRow? outboxRow,
        AuditEntry? audit,
        CancellationToken cancellationToken)
    {
        var now = at;
        var revision = isNew ? 1 : record.Revision + 1;
        var entity = ToEntity(record, revision);
        var actions = new List<TableTransactionAction>(4)
        {
            isNew
                ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, record.ETag),
            new(TableTransactionActionType.Add, new TableEntity(record.TradeNo, RevisionKey(revision))
            {
                ["State"] = record.State.ToWire(),
                ["Source"] = source,
                ["At"] = now,
                ["Detail"] = detail,
            }),
        };
        if (outboxRow is not null)
        {
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(record.TradeNo, EventPrefix + outboxRow.Name)
            {
                ["EventId"] = outboxRow.EventId,
                ["Payload"] = outboxRow.Payload,
                ["CreatedAt"] = now,
            }));
        }
        if (audit is not null)
        {
            actions.Add(new(TableTransactionActionType.Add, AuditEntity(record.TradeNo, AuditPrefix, now, audit)));
        }
        using var activity = TransactionTracing.Source.StartActivity(TransactionTracing.Write, System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("paypro.trade_no", record.TradeNo);
        activity?.SetTag("paypro.state", record.State.ToWire());
        activity?.SetTag("db.system", "azure_table");
        try
        {
            var response = await _transactions.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            record.Revision = revision;
            record.ETag = response.Value[0].Headers.ETag ?? default;
            var written = outboxRow is not null ? new OutboxEvent(record.TradeNo, outboxRow.Name, outboxRow.Payload, now) : null;
            return new WriteResult(WriteOutcome.Written, written);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            activity?.SetTag("paypro.write", "conflict");
            return new WriteResult(WriteOutcome.Conflict, null);
        }
    }

    /// <summary>
    /// Records that a request for <paramref name="tradeNo"/> came in over HTTP, with the fingerprint of its body.
    /// Insert-only: the first request wins, and a later one is compared with it.
    /// </summary>
    /// <returns>False when the tradeNo has an intake row already.</returns>
    public virtual async Task<bool> TryAddIntakeAsync(
        string tradeNo,
        TransactionKind kind,
        string fingerprint,
        CancellationToken cancellationToken)
    {
        try
        {
            await _transactions.AddEntityAsync(new TableEntity(tradeNo, IntakeRowKey)
            {
                ["Kind"] = kind.ToWire(),
                ["Fingerprint"] = fingerprint,
                ["At"] = _time.GetUtcNow(),
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    /// <summary>The fingerprint of the first HTTP request for <paramref name="tradeNo"/>, or null when none came in over HTTP.</summary>
    public virtual async Task<string?> GetIntakeFingerprintAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var response = await _transactions.GetEntityIfExistsAsync<TableEntity>(tradeNo, IntakeRowKey, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetString("Fingerprint") : null;
    }

    /// <summary>The outbox events of a transaction named in <paramref name="names"/> (its unconfirmed ones), oldest first.</summary>
    public virtual async Task<IReadOnlyList<OutboxEvent>> GetOutboxAsync(
        string tradeNo,
        IReadOnlyCollection<string> names,
        CancellationToken cancellationToken)
    {
        var result = new List<OutboxEvent>(names.Count);
        if (names.Count == 0)
        {
            return result;
        }
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo} and RowKey ge {EventPrefix} and RowKey lt {"event}"}");
        await foreach (var entity in _transactions.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            var name = entity.RowKey[EventPrefix.Length..];
            if (names.Contains(name))
            {
                result.Add(new OutboxEvent(
                    tradeNo,
                    name,
                    entity.GetString("Payload") ?? "",
                    entity.GetDateTimeOffset("CreatedAt") ?? _time.GetUtcNow()));
            }
        }
        result.Sort(static (a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
        return result;
    }

    /// <summary>
    /// Records that the events a pending transaction wrote are on the queue: its unconfirmed list becomes
    /// <see cref="TransactionRecord.Unsent"/> as it is now. Conditional on the record as read; a conflict leaves the list
    /// as stored, and the poller sends what it names once more (a duplicate with the same id, never a loss).
    /// </summary>
    public virtual async Task<bool> SetUnsentAsync(TransactionRecord record, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _transactions.UpdateEntityAsync(
                    new TableEntity(record.TradeNo, RecordRowKey) { ["Unsent"] = WriteNames(record.Unsent) },
                    record.ETag,
                    TableUpdateMode.Merge,
                    cancellationToken)
                .ConfigureAwait(false);
            record.ETag = response.Headers.ETag ?? record.ETag;
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>
    /// Records on the transaction the version of its due entry, so that reaching a final state can take the entry out
    /// in the same invocation. A merge of that one property, unconditional: it changes the record's ETag, so a writer
    /// holding an older read re-reads and decides again; a version that is out of date only leaves the removal to the poller.
    /// </summary>
    public virtual async Task SetDueETagAsync(string tradeNo, ETag dueETag, CancellationToken cancellationToken)
    {
        await _transactions.UpdateEntityAsync(new TableEntity(tradeNo, RecordRowKey) { ["DueETag"] = dueETag.ToString() },
            ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends to a transaction's audit trail, in its partition. Bodies are stored without their <c>sign</c>.</summary>
    public virtual async Task AppendAuditAsync(string tradeNo, AuditEntry entry, CancellationToken cancellationToken)
    {
        await _transactions.AddEntityAsync(AuditEntity(tradeNo, AuditPrefix, _time.GetUtcNow(), entry), cancellationToken)
            .ConfigureAwait(false);
    }

    internal static TableEntity AuditEntity(string partition, string prefix, DateTimeOffset at, AuditEntry entry) =>
        new(partition, $"{prefix}{at.UtcTicks:D19}-{Guid.NewGuid():N}")
        {
            ["At"] = at,
            ["Category"] = entry.Category,
            ["Verdict"] = entry.Verdict,
            ["Detail"] = Truncate(entry.Detail, 4_000),
            ["Body"] = Truncate(entry.Body, 30_000),
            ["SourceIp"] = entry.SourceIp,
        };

    /// <summary>The latest failed delivery recorded for a tradeNo's message, or null.</summary>
    public virtual async Task<string?> GetLastDeliveryFailureAsync(string tradeNo, CancellationToken cancellationToken)
    {
        string? last = null;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo} and RowKey ge {AuditPrefix} and RowKey lt {"audit}"} and ") +
            TableClient.CreateQueryFilter($"Category eq {"message"} and Verdict eq {"delivery-failed"}");
        await foreach (var entity in _transactions.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            last = entity.GetString("Detail");
        }
        return last;
    }

    /// <summary>
    /// Deletes a transaction's audit rows written before <paramref name="before"/>, at most <paramref name="max"/>, in
    /// batches of up to 100. Audit row keys start with the time they were written, so the query reads only the rows it
    /// deletes, never the ones that are kept.
    /// </summary>
    /// <returns>How many rows were deleted.</returns>
    public virtual Task<int> DeleteAuditBeforeAsync(string tradeNo, DateTimeOffset before, int max, CancellationToken cancellationToken) =>
        DeleteBeforeAsync(_transactions, tradeNo, AuditPrefix, before, max, cancellationToken);

    internal static Task<int> DeleteBeforeAsync(
        TableClient table,
        string partition,
        string prefix,
        DateTimeOffset before,
        int max,
        CancellationToken cancellationToken) =>
        DeleteMatchingAsync(
            table,
            TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {prefix} and ") +
                TableClient.CreateQueryFilter(
                    $"RowKey lt {prefix + before.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)}"),
            max,
            cancellationToken);

    /// <summary>
    /// Deletes the rows of one partition that <paramref name="filter"/> matches, at most <paramref name="max"/>, in batches; reads
    /// only those.
    /// </summary>
    internal static async Task<int> DeleteMatchingAsync(TableClient table, string filter, int max, CancellationToken cancellationToken)
    {
        if (max <= 0)
        {
            return 0;
        }
        var deleted = 0;
        var batch = new List<TableTransactionAction>(100);
        await foreach (var entity in table.QueryAsync<TableEntity>(
                filter,
                maxPerPage: Math.Min(max, 1000),
                select: ["PartitionKey", "RowKey"],
                cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            batch.Add(new TableTransactionAction(TableTransactionActionType.Delete, entity, ETag.All));
            if (batch.Count == 100 || deleted + batch.Count >= max)
            {
                await table.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
                deleted += batch.Count;
                batch.Clear();
                if (deleted >= max)
                {
                    return deleted;
                }
            }
        }
        if (batch.Count > 0)
        {
            await table.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
            deleted += batch.Count;
        }
        return deleted;
    }

    public virtual async Task<DateTimeOffset?> GetFirstAuditFromAsync(
        string tradeNo,
        DateTimeOffset from,
        CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo} and ") +
            TableClient.CreateQueryFilter(
                $"RowKey ge {AuditPrefix + from.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)} and ") +
            TableClient.CreateQueryFilter($"RowKey lt {"audit}"}");
        await foreach (var entity in _transactions.QueryAsync<TableEntity>(
                filter,
                maxPerPage: 1,
                select: ["RowKey", "At"],
                cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            return entity.GetDateTimeOffset("At") ?? from;
        }
        return null;
    }

    /// <summary>A transaction's history: its audit trail and its state changes, oldest first.</summary>
    public virtual async Task<HistoryPage> GetHistoryPageAsync(
        string tradeNo,
        HistoryCursor? after,
        int limit,
        CancellationToken cancellationToken)
    {
        // Each kind of row is read in key order (audit rows by write time, state changes by revision), at most one more than
        // a page, and the two are merged by time: what a page takes of each is a prefix, so the cursor is the last key taken.
        var audits = await ReadAfterAsync(
                AuditPrefix,
                "audit}",
                after?.AuditKey,
                limit + 1,
                entity => new HistoryEntry(
                    entity.GetDateTimeOffset("At") ?? default,
                    entity.GetString("Category") ?? "",
                    entity.GetString("Verdict") ?? "",
                    entity.GetString("Detail")),
                cancellationToken)
            .ConfigureAwait(false);
        var revisions = await ReadAfterAsync(
                RevisionPrefix,
                "rev}",
                after?.RevisionKey,
                limit + 1,
                entity => new HistoryEntry(
                    entity.GetDateTimeOffset("At") ?? default,
                    "state",
                    entity.GetString("State") ?? "",
                    Join(entity.GetString("Source"), entity.GetString("Detail"))),
                cancellationToken)
            .ConfigureAwait(false);

        async Task<List<(string Key, HistoryEntry Entry)>> ReadAfterAsync(
            string prefix,
            string end,
            string? afterKey,
            int max,
            Func<TableEntity, HistoryEntry> map,
            CancellationToken token)
        {
            var filter = afterKey is null
                ? TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo} and RowKey ge {prefix} and RowKey lt {end}")
                : TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo} and RowKey gt {afterKey} and RowKey lt {end}");
            var rows = new List<(string, HistoryEntry)>(max);
            await foreach (var entity in _transactions.QueryAsync<TableEntity>(filter, maxPerPage: max, cancellationToken: token)
                .ConfigureAwait(false))
            {
                FunctionsMetrics.EntitiesRead.Add(1);
                rows.Add((entity.RowKey, map(entity)));
                if (rows.Count == max)
                {
                    break;
                }
            }
            return rows;
        }

        var page = new List<HistoryEntry>(limit);
        int a = 0, r = 0;
        while (page.Count < limit && (a < audits.Count || r < revisions.Count))
        {
            var takeAudit = r >= revisions.Count || (a < audits.Count && audits[a].Entry.At <= revisions[r].Entry.At);
            page.Add(takeAudit ? audits[a++].Entry : revisions[r++].Entry);
        }
        var more = a < audits.Count || r < revisions.Count;
        var next = more
            ? new HistoryCursor(a > 0 ? audits[a - 1].Key : after?.AuditKey, r > 0 ? revisions[r - 1].Key : after?.RevisionKey)
            : null;
        return new HistoryPage(page, next);
    }

    /// <summary>A transaction's whole history, oldest first, page by page (for tools and tests; the operator's API pages).</summary>
    public async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var history = new List<HistoryEntry>();
        HistoryCursor? after = null;
        do
        {
            var page = await GetHistoryPageAsync(tradeNo, after, 500, cancellationToken).ConfigureAwait(false);
            history.AddRange(page.Entries);
            after = page.Next;
        }
        while (after is not null);
        return history;
    }

    internal static string RevisionKey(int revision) =>
        RevisionPrefix + revision.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

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
        ["HeldAt"] = record.HeldAt,
        ["ReleasedAt"] = record.ReleasedAt,
        ["Counted"] = record.Counted?.ToString(),
        ["Anomalies"] = record.Anomalies.Count == 0 ? null : WriteNames(record.Anomalies),
        ["IndexPartition"] = record.IndexPartition,
        ["DueETag"] = record.DueETag.HasValue ? record.DueETag.Value.ToString() : null,
        ["Unsent"] = record.Unsent.Count == 0 ? null : WriteNames(record.Unsent),
        ["SubmitNonce"] = record.SubmitNonce,
        ["TraceParent"] = record.TraceParent,
        ["EnqueuedAt"] = record.EnqueuedAt,
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
            HeldAt = entity.GetDateTimeOffset("HeldAt"),
            ReleasedAt = entity.GetDateTimeOffset("ReleasedAt"),
            Counted = CountedLimits.Parse(entity.GetString("Counted")),
            Anomalies = ReadStringArray(entity.GetString("Anomalies")),
            IndexPartition = entity.GetString("IndexPartition"),
            DueETag = entity.GetString("DueETag") is { } dueETag ? new ETag(dueETag) : null,
            Unsent = ReadStringArray(entity.GetString("Unsent")),
            SubmitNonce = entity.GetString("SubmitNonce"),
            TraceParent = entity.GetString("TraceParent"),
            EnqueuedAt = entity.GetDateTimeOffset("EnqueuedAt"),
            Revision = entity.GetInt32("Revision") ?? 0,
            ETag = entity.ETag,
        };
    }

    private static string WriteNames(List<string> values)
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

    internal static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..max] + "…";

    private static string? Join(string? a, string? b) => b is null ? a : a is null ? b : a + "; " + b;
}
