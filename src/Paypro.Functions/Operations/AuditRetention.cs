using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Operations;

/// <summary>
/// Deletes audit rows older than <see cref="AuditOptions.RetentionDays"/>, in bounded batches. It walks the creation
/// index from where the last run stopped up to the cut-off less <see cref="LifetimeGrace"/>, and for each transaction
/// deletes the audit rows written before the cut-off (plus those of the refused and unmatched callbacks, the poison reasons, what
/// reconciliation kept of the days before it and the money controls' counts of those days). A visited transaction with rows
/// written after the cut-off is visited again once they are past it. So a run reads the rows it deletes,
/// the index rows of old transactions and at most one kept row per transaction visited, and its cost grows with the rows deleted, not
/// with the history.
/// </summary>
public sealed class AuditRetention(
    ITransactionStore store,
    ICreationIndex created,
    IOperationsStore operations,
    IReconciliationStore reconciliation,
    IControlsStore controls,
    IOptions<AuditOptions> options,
    TimeProvider time,
    ILogger<AuditRetention> logger)
{
    private const int IndexPageSize = 500;

    /// <summary>
    /// How long after its creation a transaction is still expected to gather audit rows (polls, Paypro's callback
    /// retries over 24 h, a late anomaly). A transaction is visited once its creation is this much older than the
    /// cut-off, so the rows of its whole life are old enough to go; a row can outlive the retention by up to this.
    /// </summary>
    public static readonly TimeSpan LifetimeGrace = TimeSpan.FromDays(31);

    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(settings.RetentionDays);
        var budget = settings.MaxDeletesPerRun;
        var deleted = 0;
        foreach (var partition in new[] { IOperationsStore.Unmatched, IOperationsStore.Refused })
        {
            deleted += await operations.DeleteAsideBeforeAsync(partition, cutoff, budget - deleted, cancellationToken)
                .ConfigureAwait(false);
        }
        deleted += await operations.DeletePoisonReasonsBeforeAsync(cutoff, budget - deleted, cancellationToken).ConfigureAwait(false);
        // What reconciliation kept of a Kenya day goes once the whole day is past the cut-off.
        deleted += await reconciliation.DeleteDaysBeforeAsync(KenyaTime.DayOf(cutoff), budget - deleted, cancellationToken)
            .ConfigureAwait(false);
        // So do the money controls' counts of a Kenya day.
        deleted += await controls.DeleteCountsBeforeAsync(
                PayoutControls.DayKey(KenyaTime.DayOf(cutoff)),
                budget - deleted,
                cancellationToken)
            .ConfigureAwait(false);

        // Transactions that gathered rows after their visit: each is visited again once its first later row is past the cut-off.
        var revisitsDone = true;
        foreach (var revisit in await operations.GetRevisitsBeforeAsync(cutoff, IndexPageSize, cancellationToken).ConfigureAwait(false))
        {
            if (deleted >= budget)
            {
                revisitsDone = false;
                break;
            }
            var (removed, finished) = await VisitAsync(revisit.TradeNo, cutoff, budget - deleted, cancellationToken).ConfigureAwait(false);
            deleted += removed;
            if (!finished)
            {
                // It may have rows before the cut-off left: it stays due for the next run.
                revisitsDone = false;
                break;
            }
            await operations.RemoveRevisitAsync(revisit, cancellationToken).ConfigureAwait(false);
        }

        var visitBefore = cutoff - LifetimeGrace;
        var from = await operations.GetRetentionCursorAsync(cancellationToken).ConfigureAwait(false) ?? DateTimeOffset.UnixEpoch;
        var reached = from;
        string? continuation = null;
        var complete = true;
        do
        {
            if (deleted >= budget)
            {
                complete = false;
                break;
            }
            var page = await created.ListCreatedAsync(from, visitBefore, kind: null, IndexPageSize, continuation, cancellationToken)
                .ConfigureAwait(false);
            foreach (var entry in page.Entries)
            {
                if (deleted >= budget)
                {
                    // This transaction may have rows left: the next run starts with it again.
                    complete = false;
                    break;
                }
                deleted += (await VisitAsync(entry.TradeNo, cutoff, budget - deleted, cancellationToken).ConfigureAwait(false)).Deleted;
                reached = entry.CreatedAt;
            }
            continuation = page.ContinuationToken;
        }
        while (complete && continuation is not null);

        // A finished walk covers everything created before the cut-off; a stopped one resumes at the transaction it was on.
        var next = complete ? visitBefore : reached;
        if (next > from)
        {
            await operations.SetRetentionCursorAsync(next, cancellationToken).ConfigureAwait(false);
        }
        logger.AuditPurged(deleted, cutoff, complete && revisitsDone ? "done" : "more next run");
        return deleted;
    }

    /// <summary>
    /// Deletes a transaction's audit rows written before the cut-off, at most <paramref name="remaining"/>. When that finishes
    /// them, a transaction that still has rows written after the cut-off (a callback that late, the queries of one pending that
    /// long) is visited again once the first of them is past the retention: that reads at most one row, and only one kept.
    /// </summary>
    /// <returns>How many rows were deleted, and whether the transaction's old rows are all gone (false when the budget ran out).</returns>
    private async Task<(int Deleted, bool Finished)> VisitAsync(
        string tradeNo,
        DateTimeOffset cutoff,
        int remaining,
        CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteAuditBeforeAsync(tradeNo, cutoff, remaining, cancellationToken).ConfigureAwait(false);
        if (deleted >= remaining)
        {
            return (deleted, false);
        }
        if (await store.GetFirstAuditFromAsync(tradeNo, cutoff, cancellationToken).ConfigureAwait(false) is { } later)
        {
            await operations.ScheduleRevisitAsync(tradeNo, later, cancellationToken).ConfigureAwait(false);
        }
        return (deleted, true);
    }
}
