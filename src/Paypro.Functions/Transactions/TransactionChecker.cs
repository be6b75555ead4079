using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Outbox;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.Transactions;

/// <summary>
/// Follows one transaction up with Paypro: the poller runs it for each due entry, the operator's
/// "check now" for one tradeNo. Queries are idempotent, so this may run any number of times; it never
/// re-sends a create call.
/// </summary>
public sealed class TransactionChecker
{
    private readonly ITransactionStore _store;
    private readonly IDueIndex _due;
    private readonly TransactionProcessor _processor;
    private readonly OutboxDispatcher _dispatcher;
    private readonly PayproClient _paypro;
    private readonly QueryChannel _channel;
    private readonly PollOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TransactionChecker> _logger;

    public TransactionChecker(
        ITransactionStore store,
        IDueIndex due,
        TransactionProcessor processor,
        OutboxDispatcher dispatcher,
        PayproClient paypro,
        QueryChannel channel,
        IOptions<PollOptions> options,
        TimeProvider time,
        ILogger<TransactionChecker> logger)
    {
        _store = store;
        _due = due;
        _processor = processor;
        _dispatcher = dispatcher;
        _paypro = paypro;
        _channel = channel;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Handles one due entry: checks a pending transaction and moves its entry to the next check; sends what a final
    /// one has not confirmed and only then takes it out (the outbox invariant); keeps an entry without a record until
    /// the record's insert can no longer succeed.
    /// </summary>
    public async Task CheckDueAsync(DueEntry entry, CancellationToken cancellationToken)
    {
        var record = await _store.GetAsync(entry.TradeNo, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            await HandleOrphanAsync(entry, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!record.State.IsAtRest())
        {
            record = await CheckAsync(record, cancellationToken).ConfigureAwait(false);
        }
        if (record.State.IsAtRest())
        {
            // Final before or by this check, or held (never queried): what the record still names as unconfirmed goes out, then the entry.
            await FlushAsync(record, entry, cancellationToken).ConfigureAwait(false);
            return;
        }
        var attempt = entry.Attempt + 1;
        // Conditional on the entry as read: an unsigned hint that brought it forward meanwhile wins. The record learns
        // the entry's new version, so reaching a final state later can take it out at once.
        if (await _due.MoveDueAsync(entry, _time.GetUtcNow() + Backoff(attempt), attempt, cancellationToken).ConfigureAwait(false)
            is { } moved)
        {
            await _store.SetDueETagAsync(record.TradeNo, moved.ETag, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Checks one transaction now; returns the record as stored afterwards, or null when the tradeNo is unknown.</summary>
    public async Task<TransactionRecord?> CheckAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var record = await _store.GetAsync(tradeNo, cancellationToken).ConfigureAwait(false);
        return record is null ? null : await CheckAsync(record, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks a transaction just read; returns it as stored afterwards. A final one is not asked about again, nor is a held
    /// one (Paypro was never sent it): if it is still in the due index, what it has not confirmed is sent and it leaves.
    /// </summary>
    public async Task<TransactionRecord> CheckAsync(TransactionRecord record, CancellationToken cancellationToken)
    {
        var tradeNo = record.TradeNo;
        if (record.State.IsAtRest())
        {
            if (await _due.GetDueEntryAsync(tradeNo, record.IndexPartition, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                await FlushAsync(record, entry, cancellationToken).ConfigureAwait(false);
            }
            return record;
        }
        await SendPendingEventsAsync(record, cancellationToken).ConfigureAwait(false);

        using var activity = TransactionTracing.StartWork(TransactionTracing.Check, record.TraceParent, tradeNo, record.Kind.ToWire());
        record = await FlagIfStuckAsync(record, cancellationToken).ConfigureAwait(false);
        var result = await _paypro.QueryStatusAsync(record.Kind, tradeNo, cancellationToken).ConfigureAwait(false);
        var detail = ResultText.Of(result);
        await _store.AppendAuditAsync(tradeNo, new AuditEntry("paypro-query", result.Outcome.ToString(), detail), cancellationToken)
            .ConfigureAwait(false);

        switch (result.Outcome)
        {
            case PayproQueryOutcome.Found when result.Transaction is { } transaction:
                await _channel.RecordFoundAsync(tradeNo, record.Kind, cancellationToken).ConfigureAwait(false);
                (record, _) = await _processor.ApplyAsync(record, PayproObservation.FromQuery(transaction), detail, cancellationToken)
                    .ConfigureAwait(false);
                break;
            case PayproQueryOutcome.NotFound when record.State.Rank() >= TransactionState.Submitted.Rank():
                // Paypro accepted it earlier, so "not found" now says the channel is broken, not that the transaction is gone.
                await _channel.RecordFailedAsync(tradeNo, cancellationToken).ConfigureAwait(false);
                break;
            case PayproQueryOutcome.NotFound:
                // "Not found" is evidence of "never sent" only while queries are known to work: asked only when it would decide.
                var channelKnownGood = TransactionRules.NotFoundCanDecide(record, _time.GetUtcNow(), _options.UnknownGracePeriod)
                    && await _channel.IsKnownGoodAsync(cancellationToken).ConfigureAwait(false);
                (record, _) = await _processor.UpdateAsync(
                    record,
                    (current, now) => TransactionRules.OnQueryNotFound(current, now, _options.UnknownGracePeriod, channelKnownGood),
                    "query",
                    detail,
                    cancellationToken).ConfigureAwait(false);
                break;
            default:
                (record, _) = await _processor.UpdateAsync(
                    record,
                    (current, _) => TransactionRules.OnNoAnswer(current),
                    "query",
                    detail,
                    cancellationToken).ConfigureAwait(false);
                break;
        }
        TransactionTracing.Outcome(activity, record.State.ToWire(), result.Outcome.ToString());
        return record;
    }

    /// <summary>
    /// The outbox invariant's last step for a final transaction: every event it names as unconfirmed goes to the queue
    /// (a failure throws, and the entry stays due), then the entry leaves, if it is still the version that was read.
    /// </summary>
    private async Task FlushAsync(TransactionRecord record, DueEntry entry, CancellationToken cancellationToken)
    {
        await _dispatcher.SendUnsentAsync(record.TradeNo, record.Unsent, cancellationToken).ConfigureAwait(false);
        await _due.RemoveDueAsync(record.TradeNo, entry.Partition, entry.ETag, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Events a pending transaction wrote whose send failed (a stuck flag, an anomaly): sent again, and the record says so.
    /// A failure is logged and the check goes on; the names stay, and the next check tries again.
    /// </summary>
    private async Task SendPendingEventsAsync(TransactionRecord record, CancellationToken cancellationToken)
    {
        if (record.Unsent.Count == 0)
        {
            return;
        }
        try
        {
            await _dispatcher.SendUnsentAsync(record.TradeNo, record.Unsent, cancellationToken).ConfigureAwait(false);
            await _store.SetUnsentAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.EventNotSent(ex, string.Join(", ", record.Unsent), record.TradeNo);
        }
    }

    /// <summary>
    /// An entry whose record is not there. The submit path writes the entry before the record, and the record's insert
    /// may still succeed while the storage client retries it, so the entry is an orphan only once it is older than
    /// <see cref="ITransactionStore.RecordInsertWindow"/>; until then it is kept as it is (moving it would change the
    /// version the record will learn), and looked at again by each poll.
    /// </summary>
    private async Task HandleOrphanAsync(DueEntry entry, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var age = now - (entry.CreatedAt ?? entry.DueAt);
        var window = _store.RecordInsertWindow;
        if (age > window)
        {
            if (await _due.RemoveDueAsync(entry.TradeNo, entry.Partition, entry.ETag, cancellationToken).ConfigureAwait(false))
            {
                _logger.OrphanRemoved(entry.TradeNo, window);
            }
            return;
        }
        _logger.OrphanKept(entry.TradeNo, age, window);
    }

    private async Task<TransactionRecord> FlagIfStuckAsync(TransactionRecord record, CancellationToken cancellationToken)
    {
        // A rule that decides nothing costs no I/O: UpdateAsync returns at once.
        var (updated, transition) = await _processor.UpdateAsync(
            record,
            (current, now) => TransactionRules.OnStuckCheck(current, now, _options.StuckAfter),
            "poll",
            $"pending for more than {TransactionRules.FormatSpan(_options.StuckAfter)}",
            cancellationToken).ConfigureAwait(false);
        if (transition is not null)
        {
            FunctionsMetrics.Stuck.Add(1, new KeyValuePair<string, object?>("kind", updated.Kind.ToWire()));
            _logger.TransactionStuck(updated.Kind.ToWire(), updated.TradeNo, updated.State.ToWire(), updated.CreatedAt);
        }
        return updated;
    }

    internal TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(_options.FirstCheckAfter.Ticks * factor, _options.MaxBackoff.Ticks));
        // Up to 10% jitter spreads the checks of transactions submitted together.
        return delay + TimeSpan.FromTicks((long)(delay.Ticks * 0.1 * Random.Shared.NextDouble()));
    }
}
