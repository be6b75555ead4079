using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Outbox;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.Transactions;

/// <summary>
/// Applies a change to a transaction under optimistic concurrency: decide on the record as read,
/// write conditionally, and on a conflict re-read and decide again. A callback and a poll that race
/// therefore both see the winner's result, and only one of them writes (and announces) the change.
/// </summary>
public sealed class TransactionProcessor
{
    private const int MaxAttempts = 5;

    private readonly ITransactionStore _store;
    private readonly IDueIndex _due;
    private readonly OutboxDispatcher _dispatcher;
    private readonly PayoutControls _controls;
    private readonly PollOptions _poll;
    private readonly TimeProvider _time;
    private readonly ILogger<TransactionProcessor> _logger;

    public TransactionProcessor(
        ITransactionStore store,
        IDueIndex due,
        OutboxDispatcher dispatcher,
        PayoutControls controls,
        IOptions<PollOptions> poll,
        TimeProvider time,
        ILogger<TransactionProcessor> logger)
    {
        _controls = controls;
        _store = store;
        _due = due;
        _dispatcher = dispatcher;
        _poll = poll.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Asks <paramref name="decide"/> (a rule of <see cref="TransactionRules"/>) what changes on
    /// <paramref name="record"/> (null when nothing), applies the change and writes the result.
    /// </summary>
    /// <returns>The record as stored afterwards, and the transition that was written (null when none).</returns>
    public Task<(TransactionRecord Record, Transition? Transition)> UpdateAsync(
        TransactionRecord record,
        Func<TransactionRecord, DateTimeOffset, Transition?> decide,
        string source,
        string? detail,
        CancellationToken cancellationToken) =>
        UpdateAsync(record, decide, source, detail, audit: null, cancellationToken);

    /// <summary>
    /// As <see cref="UpdateAsync(TransactionRecord, Func{TransactionRecord, DateTimeOffset, Transition?}, string, string?,
    /// CancellationToken)"/>, and records what led to it: <paramref name="audit"/> makes the audit row from the record as changed and the
    /// transition (null when nothing changes). The row goes in the change's batch, or alone when nothing changes.
    /// </summary>
    public async Task<(TransactionRecord Record, Transition? Transition)> UpdateAsync(
        TransactionRecord record,
        Func<TransactionRecord, DateTimeOffset, Transition?> decide,
        string source,
        string? detail,
        Func<TransactionRecord, Transition?, AuditEntry>? audit,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var previous = record.State;
            var now = _time.GetUtcNow();
            var transition = decide(record, now);
            if (transition is null)
            {
                if (audit is not null)
                {
                    await _store.AppendAuditAsync(record.TradeNo, audit(record, null), cancellationToken).ConfigureAwait(false);
                }
                return (record, null);
            }
            var outcome = await WriteChangeAsync(record, previous, transition, now, source, detail, audit, cancellationToken)
                .ConfigureAwait(false);
            if (outcome == WriteOutcome.Written)
            {
                if (record.Counted is { } counted
                    && !previous.IsFinal()
                    && record.State is TransactionState.Failed or TransactionState.Rejected)
                {
                    // No money moved: what the payout took from the day limits' counts goes back, once (only this write ended it).
                    await _controls.GiveBackAsync(counted, record.Mobile, record.Amount, cancellationToken).ConfigureAwait(false);
                }
                return (record, transition);
            }
            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException(
                    $"Transaction {record.TradeNo} kept changing under {MaxAttempts} attempts to update it; giving up for now.");
            }
            record = await _store.GetAsync(record.TradeNo, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Transaction {record.TradeNo} disappeared while being updated.");
        }
    }

    /// <summary>Applies what Paypro reported, by the state rules.</summary>
    public Task<(TransactionRecord Record, Transition? Transition)> ApplyAsync(
        TransactionRecord record,
        PayproObservation observation,
        string? detail,
        CancellationToken cancellationToken) =>
        ApplyAsync(record, observation, detail, audit: null, cancellationToken);

    /// <summary>Applies what Paypro reported, by the state rules, with the audit row of what reported it (in the same batch).</summary>
    public Task<(TransactionRecord Record, Transition? Transition)> ApplyAsync(
        TransactionRecord record,
        PayproObservation observation,
        string? detail,
        Func<TransactionRecord, Transition?, AuditEntry>? audit,
        CancellationToken cancellationToken) =>
        UpdateAsync(
            record,
            (current, _) => TransactionRules.OnReport(current, observation),
            SourceName(observation.Source),
            detail,
            audit,
            cancellationToken);

    /// <summary>
    /// Applies <paramref name="transition"/> to a new record and writes it; a conflict means the tradeNo exists
    /// already (a duplicate or a racing instance).
    /// </summary>
    public Task<WriteOutcome> CreateAsync(
        TransactionRecord record,
        Transition transition,
        string source,
        string? detail,
        CancellationToken cancellationToken) =>
        WriteChangeAsync(record, previous: null, transition, _time.GetUtcNow(), source, detail, audit: null, cancellationToken);

    /// <summary>
    /// Applies <paramref name="transition"/> to <paramref name="record"/>, whose state was <paramref name="previous"/> (null for a
    /// new record, which is inserted), and writes it with its outbox event and audit row; once written, logs and counts the
    /// change and sends its event.
    /// </summary>
    private async Task<WriteOutcome> WriteChangeAsync(
        TransactionRecord record,
        TransactionState? previous,
        Transition transition,
        DateTimeOffset now,
        string source,
        string? detail,
        Func<TransactionRecord, Transition?, AuditEntry>? audit,
        CancellationToken cancellationToken)
    {
        Apply(record, transition, now);
        var outboxRow = OutboxRowFor(record, transition, now);
        if (outboxRow is not null)
        {
            if (previous?.IsAtRest() == true)
            {
                // A final or held record may have left the due index already: an entry goes in before the write, so
                // the poller sends this event even if the process stops right after it. An entry that was gone means
                // every earlier event is out.
                var (entry, existed) = await _due.EnsureDueAsync(
                    record.TradeNo,
                    record.IndexPartition,
                    now + _poll.FirstCheckAfter,
                    record.CreatedAt,
                    cancellationToken).ConfigureAwait(false);
                record.DueETag = entry.ETag;
                if (!existed)
                {
                    record.Unsent.Clear();
                }
            }
            record.Unsent.Add(outboxRow.Name);
        }
        var written = await _store.WriteAsync(
            record,
            isNew: previous is null,
            source,
            RevisionDetail(record, transition, detail),
            now,
            outboxRow,
            audit?.Invoke(record, transition),
            cancellationToken).ConfigureAwait(false);
        if (written.Outcome == WriteOutcome.Written)
        {
            LogAndCount(record, previous, transition, source);
            await SendWrittenEventAsync(record, written.Event, cancellationToken).ConfigureAwait(false);
        }
        return written.Outcome;
    }

    /// <summary>Applies a change the rules decided to the record (in memory); the only place a record changes.</summary>
    internal static void Apply(TransactionRecord record, Transition change, DateTimeOffset now)
    {
        record.UpdatedAt = now;
        switch (change)
        {
            case AnomalyKept anomaly:
                record.Anomalies.Add(anomaly.Text);
                break;
            case StuckFlag:
                record.StuckAt = now;
                break;
            case StateChange move:
                Move(record, move, now);
                break;
        }
    }

    /// <summary>A state change: the new state, what came with it, and when it was held, released or ended.</summary>
    private static void Move(TransactionRecord record, StateChange change, DateTimeOffset now)
    {
        var wasFinal = record.State.IsFinal();
        if (change.To == TransactionState.Held && record.State != TransactionState.Held)
        {
            record.HeldAt = now;
        }
        if (change.Releases)
        {
            record.ReleasedAt = now;
            record.SubmittedAt = now;
        }
        record.Counted = change.Counted ?? record.Counted;
        record.State = change.To;
        if (change.Observation is { } observation)
        {
            record.PayproStatus = observation.Status;
            record.PayproMessage = observation.Message ?? record.PayproMessage;
            record.PlatFormTradeNo = observation.PlatFormTradeNo ?? record.PlatFormTradeNo;
            record.PaidAmount = observation.AmountText ?? record.PaidAmount;
            record.SuccessTimeUtc = observation.SuccessTimeUtc ?? record.SuccessTimeUtc;
            record.MpesaReceiptNumber = observation.MpesaReceiptNumber ?? record.MpesaReceiptNumber;
            record.SerialNumber = observation.SerialNumber ?? record.SerialNumber;
        }
        record.SerialNumber = change.SerialNumber ?? record.SerialNumber;
        record.PayproStatus = change.PayproStatus ?? record.PayproStatus;
        if (change.ClearsReason)
        {
            record.Reason = null;
        }
        record.Reason = change.Reason ?? record.Reason;
        record.NotSent |= change.NotSent;
        if (change.To.IsFinal() && !wasFinal)
        {
            record.FinalAt = now;
        }
    }

    /// <summary>The outbox row of the event a change announces (the exact message, built once), or null.</summary>
    private static OutboxRow? OutboxRowFor(TransactionRecord record, Transition transition, DateTimeOffset now) =>
        transition.EventName is { } eventName
            ? new OutboxRow(
                eventName,
                TransactionEvents.EventId(record.TradeNo, eventName),
                TransactionEvents.Build(record, eventName, now, (transition as AnomalyKept)?.Text))
            : null;

    /// <summary>What the revision row says besides the state: the caller's detail, and the anomaly or the event announced.</summary>
    private static string? RevisionDetail(TransactionRecord record, Transition transition, string? detail)
    {
        var announced = transition is AnomalyKept anomaly
            ? anomaly.Text
            : transition.EventName is null ? null : "announces " + TransactionEvents.EventType(record.Kind, transition.EventName);
        return announced is null ? detail : detail is null ? announced : detail + "; " + announced;
    }

    public static string SourceName(ObservationSource source) => source switch
    {
        ObservationSource.CreateCall => "create-call",
        ObservationSource.Callback => "callback",
        _ => "query",
    };

    /// <summary>
    /// Logs and counts a change that is now durable: an anomaly, or a move (the stuck flag included) and, when it made the
    /// transaction final, how long that took.
    /// </summary>
    private void LogAndCount(TransactionRecord record, TransactionState? previous, Transition transition, string source)
    {
        if (transition is AnomalyKept anomaly)
        {
            _logger.Anomaly(record.Kind.ToWire(), record.TradeNo, anomaly.Text);
            if (anomaly.PaidNotSent)
            {
                _logger.PaidNotSent(record.Kind.ToWire(), record.TradeNo, anomaly.Text);
            }
            FunctionsMetrics.Anomalies.Add(1, new KeyValuePair<string, object?>("kind", record.Kind.ToWire()));
            return;
        }
        _logger.Transitioned(record.Kind.ToWire(), record.TradeNo, previous?.ToWire() ?? "new", record.State.ToWire(), source);
        FunctionsMetrics.Transitions.Add(
            1,
            new KeyValuePair<string, object?>("kind", record.Kind.ToWire()),
            new KeyValuePair<string, object?>("state", record.State.ToWire()));
        if (record.State.IsFinal() && previous?.IsFinal() != true)
        {
            FunctionsMetrics.TimeToFinal.Record(
                (_time.GetUtcNow() - (record.EnqueuedAt ?? record.CreatedAt)).TotalSeconds,
                new KeyValuePair<string, object?>("kind", record.Kind.ToWire()),
                new KeyValuePair<string, object?>("state", record.State.ToWire()));
        }
    }

    /// <summary>
    /// Sends the event written with a change (none when it announces nothing) within this invocation, and once a final
    /// record's events are all out, takes it out of the due index, so the poller's time goes to what is pending.
    /// </summary>
    private async Task SendWrittenEventAsync(TransactionRecord record, OutboxEvent? written, CancellationToken cancellationToken)
    {
        if (written is null || !await _dispatcher.SendWrittenAsync(written, cancellationToken).ConfigureAwait(false))
        {
            // Not sent: the record names the event, and the transaction keeps its due entry, so the poller sends it.
            return;
        }
        record.Unsent.Remove(written.EventName);
        if (record.Unsent.Count == 0 && record.State.IsAtRest())
        {
            await LeaveDueIndexAsync(record, cancellationToken).ConfigureAwait(false);
            return;
        }
        // Pending, or final with an earlier event still unconfirmed: take this one's name off, so the poller sends only
        // what is missing. A conflict or a failure leaves it named, and the poller sends it once more with the same id.
        try
        {
            await _store.SetUnsentAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.UnsentNotRecorded(ex, record.TradeNo);
        }
    }

    /// <summary>
    /// Takes a final (or held) transaction out of the due index when every event it wrote is on the queue (the outbox invariant):
    /// only an entry still at the version this record knows, so an entry re-made for a later event stays.
    /// </summary>
    internal async Task LeaveDueIndexAsync(TransactionRecord record, CancellationToken cancellationToken)
    {
        if (!record.State.IsAtRest() || record.Unsent.Count > 0 || record.DueETag is not { } dueETag)
        {
            return;
        }
        try
        {
            if (await _due.RemoveDueAsync(record.TradeNo, record.IndexPartition, dueETag, cancellationToken).ConfigureAwait(false))
            {
                record.DueETag = null;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The change and its events are out; the poller clears the entry when it comes to it.
            _logger.DueEntryNotRemoved(ex, record.TradeNo);
        }
    }
}
