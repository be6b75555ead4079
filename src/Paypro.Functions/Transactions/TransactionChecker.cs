using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Storage;

namespace Paypro.Functions.Transactions;

/// <summary>
/// Follows one transaction up with Paypro: the poller runs it for each due entry, the operator's
/// "check now" for one tradeNo. Queries are idempotent, so this may run any number of times; it never
/// re-sends a create call.
/// </summary>
public class TransactionChecker
{
    private readonly TransactionStore _store;
    private readonly TransactionProcessor _processor;
    private readonly OutboxDispatcher _dispatcher;
    private readonly PayproClient _paypro;
    private readonly PollOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TransactionChecker> _logger;

    /// <summary>For mocking: a test double overrides the members it needs.</summary>
    protected TransactionChecker()
    {
        _store = null!;
        _processor = null!;
        _dispatcher = null!;
        _paypro = null!;
        _options = null!;
        _time = TimeProvider.System;
        _logger = null!;
    }

    public TransactionChecker(TransactionStore store, TransactionProcessor processor, OutboxDispatcher dispatcher, PayproClient paypro, IOptions<PollOptions> options, TimeProvider time,
        ILogger<TransactionChecker> logger)
    {
        _store = store;
        _processor = processor;
        _dispatcher = dispatcher;
        _paypro = paypro;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Handles one due entry: checks the transaction, then removes the entry or moves it later.</summary>
    public async Task CheckDueAsync(DueEntry entry, CancellationToken cancellationToken)
    {
        var record = await CheckAsync(entry.TradeNo, cancellationToken).ConfigureAwait(false);
        if (record is not null && !record.State.IsFinal())
        {
            // The new entry goes in before the old one leaves, so a pending transaction is never out of the index;
            // the record learns its key, so reaching a final state later can take the entry out at once.
            var attempt = entry.Attempt + 1;
            var next = await _store.ScheduleAsync(record.TradeNo, _time.GetUtcNow() + Backoff(attempt), attempt, record.CreatedAt, cancellationToken).ConfigureAwait(false);
            await _store.SetDueKeyAsync(record.TradeNo, next.RowKey, cancellationToken).ConfigureAwait(false);
        }
        await _store.RemoveDueAsync(entry.RowKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks one transaction now; returns the record as stored afterwards, or null when the tradeNo is unknown.</summary>
    public async Task<TransactionRecord?> CheckAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var record = await _store.GetAsync(tradeNo, cancellationToken).ConfigureAwait(false);
        return record is null ? null : await CheckAsync(record, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks a transaction just read; returns it as stored afterwards.</summary>
    public virtual async Task<TransactionRecord> CheckAsync(TransactionRecord record, CancellationToken cancellationToken)
    {
        var tradeNo = record.TradeNo;
        if (record.State.IsFinal())
        {
            await _dispatcher.DispatchAsync(tradeNo, cancellationToken).ConfigureAwait(false);
            return record;
        }

        using var activity = TransactionTracing.StartWork(TransactionTracing.Check, record.TraceParent, tradeNo, record.Kind);
        record = await FlagIfStuckAsync(record, cancellationToken).ConfigureAwait(false);
        var result = record.Kind == TransactionKind.Payout
            ? await _paypro.QueryPayoutAsync(tradeNo, cancellationToken).ConfigureAwait(false)
            : await _paypro.QueryPayinAsync(tradeNo, cancellationToken).ConfigureAwait(false);
        var detail = DescribeQuery(result);
        await _store.AppendAuditAsync(tradeNo, "paypro-query", result.Outcome.ToString(), detail, null, null, cancellationToken).ConfigureAwait(false);

        switch (result.Outcome)
        {
            case PayproQueryOutcome.Found when result.Transaction is { } transaction:
                (record, _) = await _processor.ApplyAsync(record, PayproObservation.FromQuery(transaction), detail, cancellationToken).ConfigureAwait(false);
                break;
            case PayproQueryOutcome.NotFound:
                (record, _) = await _processor.UpdateAsync(record, (current, now) => TransactionRules.OnQueryNotFound(current, now, _options.UnknownGracePeriod), "query", detail,
                    cancellationToken).ConfigureAwait(false);
                break;
            default:
                (record, _) = await _processor.UpdateAsync(record, (current, _) => TransactionRules.OnNoAnswer(current), "query", detail, cancellationToken).ConfigureAwait(false);
                break;
        }
        TransactionTracing.Outcome(activity, record, result.Outcome.ToString());
        return record;
    }

    private async Task<TransactionRecord> FlagIfStuckAsync(TransactionRecord record, CancellationToken cancellationToken)
    {
        // A rule that decides nothing costs no I/O: UpdateAsync returns at once.
        var (updated, transition) = await _processor.UpdateAsync(record, (current, now) => TransactionRules.OnStuckCheck(current, now, _options.StuckAfter),
            "poll", $"pending for more than {TransactionRules.FormatSpan(_options.StuckAfter)}", cancellationToken).ConfigureAwait(false);
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

    internal static string DescribeQuery(PayproQueryResult result)
    {
        var text = $"query: {result.Outcome}";
        if (result.Code is not null)
        {
            text += $", code {result.Code}";
        }
        if (result.Transaction is { } transaction)
        {
            text += $", status {transaction.Status}";
            if (!string.IsNullOrEmpty(transaction.Message))
            {
                text += $" ({transaction.Message})";
            }
        }
        if (result.Detail is not null)
        {
            text += $": {result.Detail}";
        }
        return text;
    }
}
