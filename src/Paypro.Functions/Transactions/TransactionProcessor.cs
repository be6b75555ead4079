using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Storage;

namespace Paypro.Functions.Transactions;

/// <summary>
/// Applies a change to a transaction under optimistic concurrency: decide on the record as read,
/// write conditionally, and on a conflict re-read and decide again. A callback and a poll that race
/// therefore both see the winner's result, and only one of them writes (and announces) the change.
/// </summary>
public class TransactionProcessor
{
    private const int MaxAttempts = 5;

    private readonly TransactionStore _store;
    private readonly OutboxDispatcher _dispatcher;
    private readonly PollOptions _poll;
    private readonly TimeProvider _time;
    private readonly ILogger<TransactionProcessor> _logger;

    public TransactionProcessor(TransactionStore store, OutboxDispatcher dispatcher, IOptions<PollOptions> poll, TimeProvider time, ILogger<TransactionProcessor> logger)
    {
        _store = store;
        _dispatcher = dispatcher;
        _poll = poll.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Runs <paramref name="change"/> on <paramref name="record"/> (mutating it and returning the transition,
    /// or null when there is nothing to change) and writes the result.
    /// </summary>
    /// <returns>The record as stored afterwards, and the transition that was written (null when none).</returns>
    public async Task<(TransactionRecord Record, Transition? Transition)> UpdateAsync(
        TransactionRecord record,
        Func<TransactionRecord, DateTimeOffset, Transition?> change,
        string source,
        string? detail,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var wasFinal = record.State.IsFinal();
            var previous = record.State;
            var now = _time.GetUtcNow();
            var transition = change(record, now);
            if (transition is null)
            {
                return (record, null);
            }
            if (wasFinal && transition.EventName is not null)
            {
                // A final record has left the due index; an entry makes sure the poller sends this
                // event even if the process stops before this invocation does.
                record.DueKey = (await _store.ScheduleAsync(record.TradeNo, now + _poll.FirstCheckAfter, 0, record.CreatedAt, cancellationToken).ConfigureAwait(false)).RowKey;
            }
            var written = await _store.WriteAsync(record, isNew: false, transition, source, detail, cancellationToken).ConfigureAwait(false);
            if (written.Outcome == WriteOutcome.Written)
            {
                await AnnounceAsync(record, previous, transition, source, written.Event, cancellationToken).ConfigureAwait(false);
                return (record, transition);
            }
            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException($"Transaction {record.TradeNo} kept changing under {MaxAttempts} attempts to update it; giving up for now.");
            }
            record = await _store.GetAsync(record.TradeNo, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Transaction {record.TradeNo} disappeared while being updated.");
        }
    }

    /// <summary>Applies what Paypro reported, by the state rules.</summary>
    public Task<(TransactionRecord Record, Transition? Transition)> ApplyAsync(TransactionRecord record, PayproObservation observation, string? detail, CancellationToken cancellationToken) =>
        UpdateAsync(record, (current, now) => TransactionRules.DecideAndApply(current, observation, now), SourceName(observation.Source), detail, cancellationToken);

    /// <summary>Writes a new record; a conflict means the tradeNo exists already (a duplicate or a racing instance).</summary>
    public async Task<WriteOutcome> CreateAsync(TransactionRecord record, Transition transition, string source, string? detail, CancellationToken cancellationToken)
    {
        var written = await _store.WriteAsync(record, isNew: true, transition, source, detail, cancellationToken).ConfigureAwait(false);
        if (written.Outcome == WriteOutcome.Written)
        {
            await AnnounceAsync(record, null, transition, source, written.Event, cancellationToken).ConfigureAwait(false);
        }
        return written.Outcome;
    }

    public static string SourceName(ObservationSource source) => source switch
    {
        ObservationSource.CreateCall => "create-call",
        ObservationSource.Callback => "callback",
        _ => "query",
    };

    /// <summary>
    /// Logs and counts a change that is now durable, sends its event within this invocation, and once a final
    /// record's events are out, takes it out of the due index, so the poller's time goes to what is pending.
    /// </summary>
    private async Task AnnounceAsync(TransactionRecord record, TransactionState? previous, Transition transition, string source, OutboxEvent? written, CancellationToken cancellationToken)
    {
        if (transition.IsAnomaly)
        {
            _logger.LogWarning("PAYPRO_ANOMALY {Kind} {TradeNo}: {Anomaly}", record.Kind.ToWire(), record.TradeNo, transition.Anomaly);
            FunctionsMetrics.Anomalies.Add(1, new KeyValuePair<string, object?>("kind", record.Kind.ToWire()));
        }
        else
        {
            _logger.LogInformation("{Kind} {TradeNo} {From} -> {To} ({Source})", record.Kind.ToWire(), record.TradeNo, previous?.ToWire() ?? "new", record.State.ToWire(), source);
            FunctionsMetrics.Transitions.Add(1, new KeyValuePair<string, object?>("kind", record.Kind.ToWire()), new KeyValuePair<string, object?>("state", record.State.ToWire()));
            if (record.State.IsFinal() && previous?.IsFinal() != true)
            {
                FunctionsMetrics.TimeToFinal.Record((_time.GetUtcNow() - (record.EnqueuedAt ?? record.CreatedAt)).TotalSeconds,
                    new KeyValuePair<string, object?>("kind", record.Kind.ToWire()), new KeyValuePair<string, object?>("state", record.State.ToWire()));
            }
        }
        var sent = written is null || await _dispatcher.SendWrittenAsync(written, cancellationToken).ConfigureAwait(false);
        if (sent && record.State.IsFinal() && record.DueKey is { } dueKey)
        {
            try
            {
                await _store.RemoveDueAsync(dueKey, cancellationToken).ConfigureAwait(false);
                record.DueKey = null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The change and its event are out; the poller clears the entry when it comes to it.
                _logger.LogWarning(ex, "Due entry of final {TradeNo} not removed yet; the poller will clear it.", record.TradeNo);
            }
        }
    }
}
