using System.Buffers.Text;
using Azure;
using Paypro.Functions.Outbox;

namespace Paypro.Functions.Transactions;

/// <summary>The outcome of a conditional write.</summary>
public enum WriteOutcome
{
    Written,

    /// <summary>Another writer got there first (the record exists, or moved on since it was read): re-read and decide again.</summary>
    Conflict,
}

/// <summary>What a conditional write did, and the outbox event it wrote with the change, if any.</summary>
public readonly record struct WriteResult(WriteOutcome Outcome, OutboxEvent? Event);

/// <summary>An audit row: what happened (a callback, a query to Paypro, a failed delivery), its verdict, and what came with it.</summary>
/// <param name="Category">What kind of thing: <c>callback</c>, <c>paypro-query</c>, <c>message</c>.</param>
/// <param name="Verdict">What the app made of it: <c>applied</c>, <c>duplicate</c>, <c>rejected-forged</c>...</param>
/// <param name="Detail">Why, in words.</param>
/// <param name="Body">The body as received, without its <c>sign</c>.</param>
/// <param name="SourceIp">The caller's address, for a callback.</param>
public sealed record AuditEntry(string Category, string Verdict, string? Detail, string? Body = null, string? SourceIp = null);

/// <summary>One line of a transaction's history.</summary>
public sealed record HistoryEntry(DateTimeOffset At, string Category, string Verdict, string? Detail);

/// <summary>A page of a transaction's history, and where the next one starts (null when this is the last).</summary>
public sealed record HistoryPage(IReadOnlyList<HistoryEntry> Entries, HistoryCursor? Next);

/// <summary>
/// Where a page of history ends: the last audit row and the last state-change row it held (null for none yet). As a token
/// it is opaque to callers (base64url), and a token that does not parse is refused.
/// </summary>
public sealed record HistoryCursor(string? AuditKey, string? RevisionKey)
{
    public string ToToken() => Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes((AuditKey ?? "") + "\n" + (RevisionKey ?? "")));

    public static bool TryParse(string? token, out HistoryCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(token) || token.Length > 512)
        {
            return false;
        }
        string text;
        try
        {
            text = System.Text.Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            return false;
        }
        var parts = text.Split('\n');
        if (parts.Length != 2 || !Valid(parts[0]) || !Valid(parts[1]))
        {
            return false;
        }
        cursor = new HistoryCursor(parts[0].Length == 0 ? null : parts[0], parts[1].Length == 0 ? null : parts[1]);
        return true;

        // Row keys of the transaction's own partition only bound the read: whatever they say, nothing outside it is read.
        static bool Valid(string key) => key.Length <= 128 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '|' or '-');
    }
}

/// <summary>
/// What the engine keeps of one transaction, together (its partition): the record, one revision row per change, the
/// outbox rows of its events, its audit trail and the fingerprint of an HTTP request. A change and everything it
/// implies (revision, event, the audit row of what caused it) are one write, so they are kept together or not at all.
/// </summary>
public interface ITransactionStore : IOutboxStore
{
    /// <summary>
    /// The longest time after a new transaction's due entry is written during which its record's insert may still
    /// succeed (the storage client's retries); until then a due entry without a record is not an orphan.
    /// </summary>
    TimeSpan RecordInsertWindow { get; }

    /// <summary>Point read of a transaction; null when the tradeNo is unknown.</summary>
    Task<TransactionRecord?> GetAsync(string tradeNo, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a new record (<paramref name="isNew"/>) or a change to one read earlier, conditional on the version read,
    /// with its revision row, the outbox row of the event it announces and the audit row of what caused it, as one write.
    /// </summary>
    /// <returns>
    /// <see cref="WriteOutcome.Conflict"/> when another writer created or changed the record first; when written, the outbox event written
    /// with it.
    /// </returns>
    Task<WriteResult> WriteAsync(
        TransactionRecord record,
        bool isNew,
        string source,
        string? detail,
        DateTimeOffset at,
        OutboxRow? outboxRow,
        AuditEntry? audit,
        CancellationToken cancellationToken);

    /// <summary>
    /// Records the fingerprint of the first HTTP request for <paramref name="tradeNo"/>; false when one is recorded already.
    /// </summary>
    Task<bool> TryAddIntakeAsync(string tradeNo, TransactionKind kind, string fingerprint, CancellationToken cancellationToken);

    /// <summary>The fingerprint of the first HTTP request for <paramref name="tradeNo"/>, or null when none came in over HTTP.</summary>
    Task<string?> GetIntakeFingerprintAsync(string tradeNo, CancellationToken cancellationToken);

    /// <summary>
    /// Records <see cref="TransactionRecord.Unsent"/> as it is now, conditional on the record as read (its ETag is
    /// updated); false when the record changed meanwhile, and the list stays as stored.
    /// </summary>
    Task<bool> SetUnsentAsync(TransactionRecord record, CancellationToken cancellationToken);

    /// <summary>Records on the transaction the version of its due entry, unconditionally.</summary>
    Task SetDueETagAsync(string tradeNo, ETag dueETag, CancellationToken cancellationToken);

    /// <summary>Appends to a transaction's audit trail.</summary>
    Task AppendAuditAsync(string tradeNo, AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>The latest failed delivery recorded for a tradeNo's message, or null.</summary>
    Task<string?> GetLastDeliveryFailureAsync(string tradeNo, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes a transaction's audit rows written before <paramref name="before"/>, at most <paramref name="max"/>; returns how many.
    /// </summary>
    Task<int> DeleteAuditBeforeAsync(string tradeNo, DateTimeOffset before, int max, CancellationToken cancellationToken);

    /// <summary>
    /// When the first audit row written at or after <paramref name="from"/> was written; null when there is none. Reads at most one row.
    /// </summary>
    Task<DateTimeOffset?> GetFirstAuditFromAsync(string tradeNo, DateTimeOffset from, CancellationToken cancellationToken);

    /// <summary>
    /// A page of a transaction's history (its audit trail and its state changes, oldest first): at most <paramref name="limit"/>
    /// entries after <paramref name="after"/> (the previous page's <see cref="HistoryPage.Next"/>; null for the first page).
    /// It reads at most 2 × (<paramref name="limit"/> + 1) entities, however long the history is.
    /// </summary>
    Task<HistoryPage> GetHistoryPageAsync(string tradeNo, HistoryCursor? after, int limit, CancellationToken cancellationToken);
}
