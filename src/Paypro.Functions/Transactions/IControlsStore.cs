namespace Paypro.Functions.Transactions;

/// <summary>A payout that is held, as the held list keeps it: enough to list it, to total what is held and to expire it.</summary>
public sealed record HeldEntry(string TradeNo, long Amount, DateTimeOffset HeldAt, string Reason);

/// <summary>
/// The money controls' storage: counts (an amount and a number of payouts) that racing instances add to safely, and the
/// list of held payouts. Each count is one entity, changed only by a write conditional on the version read.
/// </summary>
public interface IControlsStore
{
    /// <summary>
    /// Changes the counts at (<paramref name="partition"/>, <paramref name="row"/>) to what <paramref name="change"/> makes of
    /// them as they are now (zero when they do not exist yet), by a write conditional on that version; on a conflict it reads
    /// again and asks again. <paramref name="change"/> returns null to leave them as they are. Returns the counts as written,
    /// or as read when nothing was written.
    /// </summary>
    Task<Counts> UpdateAsync(string partition, string row, Func<Counts, Counts?> change, CancellationToken cancellationToken);

    /// <summary>The counts whose partition starts with <paramref name="partitionPrefix"/> (one day's shares, for the gauges).</summary>
    Task<IReadOnlyList<Counts>> GetCountsAsync(string partitionPrefix, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the counts of the Kenya days before <paramref name="dayKey"/> (<c>yyyyMMdd</c>), at most <paramref name="max"/>:
    /// only today's counts decide anything, the older ones only say what was cleared.
    /// </summary>
    Task<int> DeleteCountsBeforeAsync(string dayKey, int max, CancellationToken cancellationToken);

    /// <summary>Puts a payout on the held list (before its record is written, so a held payout is always listed).</summary>
    Task AddHeldAsync(HeldEntry entry, CancellationToken cancellationToken);

    /// <summary>The held list, at most <paramref name="max"/> entries, oldest first.</summary>
    Task<IReadOnlyList<HeldEntry>> GetHeldAsync(int max, CancellationToken cancellationToken);

    /// <summary>Takes a payout off the held list; nothing happens when it is not on it.</summary>
    Task RemoveHeldAsync(string tradeNo, CancellationToken cancellationToken);
}
