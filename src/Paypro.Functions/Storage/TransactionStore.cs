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

/// <summary>
/// A transaction's one entry in the due index (row key <c>d|</c> + tradeNo): when the poller looks at it next, and the
/// entry's storage version, on which every move and the removal are conditional.
/// </summary>
public sealed record DueEntry(string TradeNo, DateTimeOffset DueAt, int Attempt, ETag ETag, DateTimeOffset? CreatedAt = null);

/// <summary>An event of the outbox: the exact message, and when its change was decided.</summary>
public sealed record OutboxEvent(string TradeNo, string EventName, string Payload, DateTimeOffset CreatedAt);

/// <summary>An event to keep in the outbox with a change: its name (one per transaction), its id and the exact message.</summary>
public sealed record OutboxRow(string Name, string EventId, string Payload);

/// <summary>What a conditional write did, and the outbox event it wrote with the change, if any.</summary>
public readonly record struct WriteResult(WriteOutcome Outcome, OutboxEvent? Event);

/// <summary>A row of the creation index: which transaction was created when.</summary>
public sealed record CreatedEntry(string TradeNo, TransactionKind Kind, DateTimeOffset CreatedAt);

/// <summary>A page of the creation index and the token of the next one (null after the last).</summary>
public sealed record CreatedPage(IReadOnlyList<CreatedEntry> Entries, string? ContinuationToken);

/// <summary>An audit row: what happened (a callback, a query to Paypro, a failed delivery), its verdict, and what came with it.</summary>
/// <param name="Category">What kind of thing: <c>callback</c>, <c>paypro-query</c>, <c>message</c>.</param>
/// <param name="Verdict">What the app made of it: <c>applied</c>, <c>duplicate</c>, <c>rejected-forged</c>...</param>
/// <param name="Detail">Why, in words.</param>
/// <param name="Body">The body as received, without its <c>sign</c>.</param>
/// <param name="SourceIp">The caller's address, for a callback.</param>
public sealed record AuditEntry(string Category, string Verdict, string? Detail, string? Body = null, string? SourceIp = null);

/// <summary>One line of a transaction's history.</summary>
public sealed record HistoryEntry(DateTimeOffset At, string Category, string Verdict, string? Detail);

/// <summary>
/// All Table Storage access, in three tables:
/// <list type="bullet">
/// <item>Transactions: partition = tradeNo. The record (<c>record</c>), the fingerprint of the request when it came
/// in over HTTP (<c>intake</c>), one row per revision (<c>rev|000001</c>,
/// the state-change log) and one outbox row per announced event (<c>event|succeeded</c>). A state change,
/// its revision row and its event are one batch in one partition, so they are written together or not at all.</item>
/// <item>Due: partition <c>due</c>. The due index: one row per transaction that needs the poller (row key
/// <c>d|</c> + tradeNo, so there is never a second one), with the time of its next check; the poller reads only the
/// entries whose time has come, so its cost follows the number of pending transactions, not the number ever made.
/// A transaction leaves it only when it is final and every event it wrote is on the events queue (the outbox
/// invariant, docs/architecture.md). And the creation index: row key = <c>~created|</c> + creation time in ticks +
/// tradeNo, written in one batch with the first due entry, before the record; listings by creation time read a range
/// of it.</item>
/// <item>Transactions, partition = tradeNo, also holds the transaction's audit rows (<c>audit|</c> + write time in ticks):
/// every callback applied to it with its verdict, every query to Paypro, every failed delivery of its message. A
/// callback's audit row is written in the same batch as the change it makes.</item>
/// <item>Audit: callbacks that belong to no transaction, append-only, each in a partition of its own kind: refused
/// ones (<c>_refused</c>: forged, malformed, refused unsigned, not allowed), never in the partition of the transaction
/// they name, and those naming a tradeNo the app does not know (<c>_unmatched</c>); the reasons of poisoned messages
/// (<c>_poison</c>) and the retention cursor.</item>
/// </list>
/// </summary>
public class TransactionStore
{
    public const string RecordRowKey = "record";
    public const string IntakeRowKey = "intake";
    public const string DuePartition = "due";
    public const string UnmatchedPartition = "_unmatched";
    public const string RefusedPartition = "_refused";
    public const string PoisonPartition = "_poison";
    private const string RetentionPartition = "_retention";
    private const string RevisionPrefix = "rev|";
    private const string EventPrefix = "event|";
    private const string DuePrefix = "d|";
    private const string AuditPrefix = "audit|";

    /// <summary>Row keys of the creation index in the due partition; '~' sorts after the due entries' digits.</summary>
    public const string CreatedPrefix = "~created|";


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

    /// <param name="tables">The account's tables.</param>
    /// <param name="options">The table names.</param>
    /// <param name="time">The clock of every time the store writes.</param>
    /// <param name="clientOptions">
    /// The table client's options as the Azure client factory registered them: their retry settings bound how long an
    /// insert may still succeed (<see cref="RecordInsertWindow"/>). The SDK's defaults when absent.
    /// </param>
    public TransactionStore(TableServiceClient tables, IOptions<StorageOptions> options, TimeProvider time, IOptionsMonitor<TableClientOptions>? clientOptions = null)
    {
        _transactions = tables.GetTableClient(options.Value.TransactionsTable);
        _audit = tables.GetTableClient(options.Value.AuditTable);
        _due = tables.GetTableClient(options.Value.DueTable);
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
    public TimeSpan RecordInsertWindow { get; } = InsertWindowOf(new TableClientOptions().Retry);

    internal static TimeSpan InsertWindowOf(Azure.Core.RetryOptions retry)
    {
        var oneWrite = (retry.MaxRetries + 1) * retry.NetworkTimeout + retry.MaxRetries * (retry.Mode == Azure.Core.RetryMode.Fixed ? retry.Delay : retry.MaxDelay);
        return 2 * oneWrite + TimeSpan.FromMinutes(1);
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
    /// and, when the change announces one, its outbox row, as one batch. The store does not build events: the
    /// outbox row is the exact message, as given.
    /// </summary>
    /// <returns><see cref="WriteOutcome.Conflict"/> when another writer created or changed the record first; when written, the outbox event written with it.</returns>
    /// <remarks>
    /// The detail (a Paypro answer, a callback's verdict) is kept on the revision row: the revision rows are the audit of
    /// every state change and every create call. <c>at</c> is when the change was decided: the revision row's time and
    /// the event's, which its payload carries too.
    /// </remarks>
    public virtual async Task<WriteResult> WriteAsync(TransactionRecord record, bool isNew, string source, string? detail, DateTimeOffset at, OutboxRow? outboxRow,
        AuditEntry? audit, CancellationToken cancellationToken)
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
        using var activity = Transactions.TransactionTracing.Source.StartActivity(Transactions.TransactionTracing.Write, System.Diagnostics.ActivityKind.Client);
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
    public virtual async Task<bool> TryAddIntakeAsync(string tradeNo, TransactionKind kind, string fingerprint, CancellationToken cancellationToken)
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
        var response = await _transactions.GetEntityIfExistsAsync<TableEntity>(tradeNo, IntakeRowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetString("Fingerprint") : null;
    }

    /// <summary>The outbox events of a transaction named in <paramref name="names"/> (its unconfirmed ones), oldest first.</summary>
    public virtual async Task<IReadOnlyList<OutboxEvent>> GetOutboxAsync(string tradeNo, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        var result = new List<OutboxEvent>(names.Count);
        if (names.Count == 0)
        {
            return result;
        }
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo} and RowKey ge {EventPrefix} and RowKey lt {"event}"}");
        await foreach (var entity in _transactions.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            FunctionsMetrics.EntitiesRead.Add(1);
            var name = entity.RowKey[EventPrefix.Length..];
            if (names.Contains(name))
            {
                result.Add(new OutboxEvent(tradeNo, name, entity.GetString("Payload") ?? "", entity.GetDateTimeOffset("CreatedAt") ?? _time.GetUtcNow()));
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
            var response = await _transactions.UpdateEntityAsync(new TableEntity(record.TradeNo, RecordRowKey) { ["Unsent"] = WriteNames(record.Unsent) },
                record.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            record.ETag = response.Headers.ETag ?? record.ETag;
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>
    /// Puts a new transaction in the due index and in the creation index, in one batch, before its record is
    /// written: whatever happens after, the poller will look at it, and a listing by creation time finds it.
    /// </summary>
    public virtual async Task<DueEntry> ScheduleNewAsync(string tradeNo, TransactionKind kind, DateTimeOffset createdAt, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var (entry, due, created) = NewTransactionRows(tradeNo, kind, createdAt, dueAt);
        var response = await _due.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, due),
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, created),
        ], cancellationToken).ConfigureAwait(false);
        return entry with { ETag = response.Value[0].Headers.ETag ?? default };
    }

    /// <summary>A new transaction's first due entry and its row in the creation index (both in the due partition).</summary>
    internal static (DueEntry Entry, TableEntity Due, TableEntity Created) NewTransactionRows(string tradeNo, TransactionKind kind, DateTimeOffset createdAt, DateTimeOffset dueAt)
    {
        var entry = new DueEntry(tradeNo, dueAt, 0, default, createdAt);
        return (entry, DueEntity(entry), new TableEntity(DuePartition, CreatedKey(createdAt, tradeNo))
        {
            ["TradeNo"] = tradeNo,
            ["Kind"] = kind.ToWire(),
            ["CreatedAt"] = createdAt,
        });
    }

    /// <summary>
    /// One page of the creation index: the transactions created in [<paramref name="from"/>, <paramref name="to"/>),
    /// oldest first. A range of row keys, so its cost follows the rows returned, not the history kept.
    /// </summary>
    public virtual async Task<CreatedPage> ListCreatedAsync(DateTimeOffset from, DateTimeOffset to, TransactionKind? kind, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {DuePartition} and RowKey ge {CreatedBound(from)} and RowKey lt {CreatedBound(to)}");
        if (kind is { } wanted)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Kind eq {wanted.ToWire()}");
        }
        await foreach (var page in _due.QueryAsync<TableEntity>(filter, maxPerPage: pageSize, cancellationToken: cancellationToken)
            .AsPages(continuationToken, pageSize).ConfigureAwait(false))
        {
            var entries = new List<CreatedEntry>(page.Values.Count);
            foreach (var entity in page.Values)
            {
                FunctionsMetrics.EntitiesRead.Add(1);
                TransactionStateExtensions.TryParseWire(entity.GetString("Kind"), out TransactionKind entryKind);
                entries.Add(new CreatedEntry(entity.GetString("TradeNo") ?? "", entryKind, entity.GetDateTimeOffset("CreatedAt") ?? default));
            }
            return new CreatedPage(entries, page.ContinuationToken);
        }
        return new CreatedPage([], null);
    }

    /// <summary>
    /// Puts a transaction in the due index, or moves its entry, unconditionally (seeding, tests). The engine moves an
    /// entry with <see cref="MoveDueAsync"/>, conditional on the version it read.
    /// </summary>
    public virtual Task<DueEntry> ScheduleAsync(string tradeNo, DateTimeOffset dueAt, int attempt, CancellationToken cancellationToken) =>
        ScheduleAsync(tradeNo, dueAt, attempt, createdAt: null, cancellationToken);

    /// <summary>Puts a transaction in the due index with its creation time, which the pending gauges read.</summary>
    public virtual async Task<DueEntry> ScheduleAsync(string tradeNo, DateTimeOffset dueAt, int attempt, DateTimeOffset? createdAt, CancellationToken cancellationToken)
    {
        var entry = new DueEntry(tradeNo, dueAt, attempt, default, createdAt);
        var response = await _due.UpsertEntityAsync(DueEntity(entry), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return entry with { ETag = response.Headers.ETag ?? default };
    }

    /// <summary>
    /// Makes sure a transaction has its entry, for an event written on a final record: inserts one, or, when it has
    /// one already, brings it forward to <paramref name="dueAt"/>.
    /// </summary>
    /// <returns>The entry, and whether it was there before (when not, every event the transaction wrote earlier is out).</returns>
    public virtual async Task<(DueEntry Entry, bool Existed)> EnsureDueAsync(string tradeNo, DateTimeOffset dueAt, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        var entry = new DueEntry(tradeNo, dueAt, 0, default, createdAt);
        try
        {
            var response = await _due.AddEntityAsync(DueEntity(entry), cancellationToken).ConfigureAwait(false);
            return (entry with { ETag = response.Headers.ETag ?? default }, false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return (await ScheduleAsync(tradeNo, dueAt, 0, createdAt, cancellationToken).ConfigureAwait(false), true);
        }
    }

    /// <summary>
    /// Moves a transaction's entry to <paramref name="dueAt"/>, if it is still the version <paramref name="entry"/> was
    /// read at: a hint or a writer that moved or removed it meanwhile wins.
    /// </summary>
    /// <returns>The entry as moved, or null when it had changed or was gone.</returns>
    public virtual async Task<DueEntry?> MoveDueAsync(DueEntry entry, DateTimeOffset dueAt, int attempt, CancellationToken cancellationToken)
    {
        var moved = entry with { DueAt = dueAt, Attempt = attempt };
        try
        {
            var response = await _due.UpdateEntityAsync(DueEntity(moved), entry.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return moved with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return null;
        }
    }

    /// <summary>Brings a transaction's next check forward to <paramref name="dueAt"/>; never adds an entry.</summary>
    /// <returns>False when the transaction has no entry (it is final and its events are out).</returns>
    public virtual async Task<bool> BringDueForwardAsync(string tradeNo, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        try
        {
            await _due.UpdateEntityAsync(new TableEntity(DuePartition, DuePrefix + tradeNo) { ["DueAt"] = dueAt, ["Attempt"] = 0 }, ETag.All, TableUpdateMode.Merge,
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    /// <summary>The entries whose time has come, at most <paramref name="max"/>.</summary>
    public virtual Task<IReadOnlyList<DueEntry>> GetDueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) =>
        GetDueAsync((DateTimeOffset?)now, max, cancellationToken);

    /// <summary>Every entry of the due index (pending transactions), at most <paramref name="max"/>.</summary>
    public virtual Task<IReadOnlyList<DueEntry>> GetScheduledAsync(int max, CancellationToken cancellationToken) =>
        GetDueAsync(null, max, cancellationToken);

    /// <summary>A transaction's entry, or null when it has none.</summary>
    public virtual async Task<DueEntry?> GetDueEntryAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var response = await _due.GetEntityIfExistsAsync<TableEntity>(DuePartition, DuePrefix + tradeNo, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? DueEntryOf(response.Value!) : null;
    }

    private async Task<IReadOnlyList<DueEntry>> GetDueAsync(DateTimeOffset? now, int max, CancellationToken cancellationToken)
    {
        // The row-key range holds exactly the due entries (the creation index's keys start with '~'); the time filter is
        // applied by the service, so only the entries whose time has come are returned.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {DuePartition} and RowKey ge {DuePrefix} and RowKey lt {"d}"}");
        if (now is { } at)
        {
            filter += " and " + TableClient.CreateQueryFilter($"DueAt le {at}");
        }
        var result = new List<DueEntry>();
        await foreach (var page in _due.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken).AsPages().ConfigureAwait(false))
        {
            foreach (var entity in page.Values)
            {
                FunctionsMetrics.EntitiesRead.Add(1);
                result.Add(DueEntryOf(entity));
                if (result.Count >= max)
                {
                    return result;
                }
            }
        }
        return result;
    }

    /// <summary>
    /// Takes a transaction out of the due index, if its entry is still the version <paramref name="ifMatch"/> names: an
    /// entry moved or re-made since (for an event written after) stays.
    /// </summary>
    /// <returns>Whether this call removed it.</returns>
    public virtual async Task<bool> RemoveDueAsync(string tradeNo, ETag ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            await _due.DeleteEntityAsync(DuePartition, DuePrefix + tradeNo, ifMatch, cancellationToken).ConfigureAwait(false);
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
        await _transactions.AddEntityAsync(AuditEntity(tradeNo, AuditPrefix, _time.GetUtcNow(), entry), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records a callback that belongs to no transaction, in the audit table's partition <paramref name="partition"/>
    /// (<see cref="RefusedPartition"/> or <see cref="UnmatchedPartition"/>), with the tradeNo it claims.
    /// </summary>
    public virtual async Task AppendAsideAsync(string partition, string? claimedTradeNo, AuditEntry entry, CancellationToken cancellationToken)
    {
        var entity = AuditEntity(partition, "", _time.GetUtcNow(), entry);
        entity["ClaimedTradeNo"] = Truncate(claimedTradeNo, 128);
        await _audit.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
    }

    private static TableEntity AuditEntity(string partition, string prefix, DateTimeOffset at, AuditEntry entry) =>
        new(partition, $"{prefix}{at.UtcTicks:D19}-{Guid.NewGuid():N}")
        {
            ["At"] = at,
            ["Category"] = entry.Category,
            ["Verdict"] = entry.Verdict,
            ["Detail"] = Truncate(entry.Detail, 4_000),
            ["Body"] = Truncate(entry.Body, 30_000),
            ["SourceIp"] = entry.SourceIp,
        };

    /// <summary>
    /// Records why the app moved a message to a poison queue, keyed by the poison message's id (partition
    /// <c>_poison</c> of the audit table), for the operator's poison listing.
    /// </summary>
    public virtual async Task RecordPoisonReasonAsync(string poisonQueue, string poisonMessageId, string reason, CancellationToken cancellationToken)
    {
        await _audit.UpsertEntityAsync(new TableEntity(PoisonPartition, poisonQueue + "|" + poisonMessageId)
        {
            ["At"] = _time.GetUtcNow(),
            ["Category"] = "message",
            ["Verdict"] = "poisoned",
            ["Detail"] = Truncate(reason, 4_000),
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Why the app poisoned a message, or null when it did not (the host moves a message after its last failed delivery).</summary>
    public virtual async Task<string?> GetPoisonReasonAsync(string poisonQueue, string poisonMessageId, CancellationToken cancellationToken)
    {
        var response = await _audit.GetEntityIfExistsAsync<TableEntity>(PoisonPartition, poisonQueue + "|" + poisonMessageId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetString("Detail") : null;
    }

    /// <summary>The latest failed delivery recorded for a tradeNo's message, or null.</summary>
    public virtual async Task<string?> GetLastDeliveryFailureAsync(string tradeNo, CancellationToken cancellationToken)
    {
        string? last = null;
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {tradeNo} and RowKey ge {AuditPrefix} and RowKey lt {"audit}"} and Category eq {"message"} and Verdict eq {"delivery-failed"}");
        await foreach (var entity in _transactions.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
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

    /// <summary>Deletes the rows of a partition of the audit table (refused, unmatched) written before <paramref name="before"/>, likewise.</summary>
    public virtual Task<int> DeleteAsideBeforeAsync(string partition, DateTimeOffset before, int max, CancellationToken cancellationToken) =>
        DeleteBeforeAsync(_audit, partition, "", before, max, cancellationToken);

    private static async Task<int> DeleteBeforeAsync(TableClient table, string partition, string prefix, DateTimeOffset before, int max, CancellationToken cancellationToken)
    {
        if (max <= 0)
        {
            return 0;
        }
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {partition} and RowKey ge {prefix} and RowKey lt {prefix + before.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)}");
        var deleted = 0;
        var batch = new List<TableTransactionAction>(100);
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), select: ["PartitionKey", "RowKey"],
            cancellationToken: cancellationToken).ConfigureAwait(false))
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

    /// <summary>Where audit retention has got to in the creation index: every transaction created before it has been purged.</summary>
    public virtual async Task<DateTimeOffset?> GetRetentionCursorAsync(CancellationToken cancellationToken)
    {
        var response = await _audit.GetEntityIfExistsAsync<TableEntity>(RetentionPartition, "cursor", cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetDateTimeOffset("CreatedBefore") : null;
    }

    public virtual async Task SetRetentionCursorAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken)
    {
        await _audit.UpsertEntityAsync(new TableEntity(RetentionPartition, "cursor") { ["CreatedBefore"] = createdBefore, ["At"] = _time.GetUtcNow() },
            TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A transaction's history: its audit trail and its state changes, oldest first.</summary>
    public virtual async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var history = new List<HistoryEntry>();
        var auditFilter = TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo} and RowKey ge {AuditPrefix} and RowKey lt {"audit}"}");
        await foreach (var entity in _transactions.QueryAsync<TableEntity>(auditFilter, cancellationToken: cancellationToken).ConfigureAwait(false))
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

    private static TableEntity DueEntity(DueEntry entry) => new(DuePartition, DuePrefix + entry.TradeNo)
    {
        ["TradeNo"] = entry.TradeNo,
        ["DueAt"] = entry.DueAt,
        ["Attempt"] = entry.Attempt,
        ["CreatedAt"] = entry.CreatedAt,
    };

    internal static string CreatedKey(DateTimeOffset createdAt, string tradeNo) => CreatedBound(createdAt) + "|" + tradeNo;

    private static string CreatedBound(DateTimeOffset at) =>
        CreatedPrefix + Math.Max(at.UtcTicks, 0).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    private static DueEntry DueEntryOf(TableEntity entity) =>
        new(entity.GetString("TradeNo") ?? entity.RowKey[DuePrefix.Length..], entity.GetDateTimeOffset("DueAt") ?? default, entity.GetInt32("Attempt") ?? 0, entity.ETag,
            entity.GetDateTimeOffset("CreatedAt"));

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
        ["Anomalies"] = record.Anomalies.Count == 0 ? null : WriteNames(record.Anomalies),
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
            Anomalies = ReadStringArray(entity.GetString("Anomalies")),
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

    private static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..max] + "…";

    private static string? Join(string? a, string? b) => b is null ? a : a is null ? b : a + "; " + b;
}
