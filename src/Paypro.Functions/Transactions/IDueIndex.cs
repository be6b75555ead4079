using Azure;

namespace Paypro.Functions.Transactions;

/// <summary>
/// A transaction's one entry in the due index: when the poller looks at it next, which partition of the index holds
/// it, and the entry's storage version, on which every move and the removal are conditional.
/// </summary>
public sealed record DueEntry(
    string TradeNo,
    string Partition,
    DateTimeOffset DueAt,
    int Attempt,
    ETag ETag,
    DateTimeOffset? CreatedAt = null);

/// <summary>
/// The due index: one entry per transaction that needs the poller (pending, or final with an event not yet confirmed
/// on the events queue), with the time of its next check. The poller reads only the entries whose time has come. A
/// transaction's entry lives in the partition its record names (<see cref="TransactionRecord.IndexPartition"/>); where
/// that is null, the partition a new transaction with that tradeNo would get.
/// </summary>
public interface IDueIndex
{
    /// <summary>
    /// Puts a new transaction in the due index and in the creation index, in one write, before its record is written:
    /// whatever happens after, the poller will look at it, and a listing by creation time finds it.
    /// </summary>
    Task<DueEntry> ScheduleNewAsync(
        string tradeNo,
        TransactionKind kind,
        DateTimeOffset createdAt,
        DateTimeOffset dueAt,
        CancellationToken cancellationToken);

    /// <summary>
    /// Makes sure a transaction has its entry (in <paramref name="partition"/>, where its record says it is), for an
    /// event written on a final record: inserts one, or brings the one it has forward to <paramref name="dueAt"/>.
    /// </summary>
    /// <returns>The entry, and whether it was there before (when not, every event the transaction wrote earlier is out).</returns>
    Task<(DueEntry Entry, bool Existed)> EnsureDueAsync(
        string tradeNo,
        string? partition,
        DateTimeOffset dueAt,
        DateTimeOffset createdAt,
        CancellationToken cancellationToken);

    /// <summary>
    /// Moves an entry to <paramref name="dueAt"/> if it is still the version it was read at; null when it had changed or was gone.
    /// </summary>
    Task<DueEntry?> MoveDueAsync(DueEntry entry, DateTimeOffset dueAt, int attempt, CancellationToken cancellationToken);

    /// <summary>
    /// Brings a transaction's next check forward to <paramref name="dueAt"/>; never adds an entry. False when it has none.
    /// </summary>
    Task<bool> BringDueForwardAsync(string tradeNo, string? partition, DateTimeOffset dueAt, CancellationToken cancellationToken);

    /// <summary>
    /// The entries whose time has come, across every partition of the index; a batch of at most about <paramref name="max"/>.
    /// </summary>
    /// <returns>The entries, and whether a partition had more than this batch took from it.</returns>
    Task<(IReadOnlyList<DueEntry> Entries, bool More)> GetDueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken);

    /// <summary>Every entry of the due index (pending transactions), at most <paramref name="max"/> from each partition.</summary>
    Task<IReadOnlyList<DueEntry>> GetScheduledAsync(int max, CancellationToken cancellationToken);

    /// <summary>A transaction's entry, or null when it has none.</summary>
    Task<DueEntry?> GetDueEntryAsync(string tradeNo, string? partition, CancellationToken cancellationToken);

    /// <summary>
    /// Takes a transaction out of the due index, if its entry is still the version <paramref name="ifMatch"/> names; whether this call
    /// removed it.
    /// </summary>
    Task<bool> RemoveDueAsync(string tradeNo, string? partition, ETag ifMatch, CancellationToken cancellationToken);
}
