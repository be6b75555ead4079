using System.Globalization;

namespace Paypro.Functions.Transactions;

/// <summary>
/// A change the rules decided, as data, of one of three kinds: a <see cref="StateChange"/>, an <see cref="AnomalyKept"/>
/// (a contradicting result, kept and announced, never applied) or the <see cref="StuckFlag"/>.
/// <see cref="TransactionProcessor"/> is the only code that applies one to a record and writes it.
/// </summary>
/// <param name="EventName">The outbox event this change announces (<c>succeeded</c>, <c>anomaly-…</c>, <c>stuck</c>), or null.</param>
public abstract record Transition(string? EventName);

/// <summary>The transaction moves to another state, and records what came with the move.</summary>
/// <param name="To">The state after the change.</param>
/// <param name="EventName">The event it announces (<c>succeeded</c>, <c>failed</c>, <c>rejected</c>, <c>held</c>), or null.</param>
internal sealed record StateChange(TransactionState To, string? EventName) : Transition(EventName)
{
    /// <summary>What Paypro reported, recorded with the change: status, message, its ids, the amount, the times.</summary>
    public PayproObservation? Observation { get; init; }

    /// <summary>The reason to record (null leaves the recorded one, unless <see cref="ClearsReason"/>).</summary>
    public string? Reason { get; init; }

    /// <summary>The recorded reason no longer holds: Paypro accepted a request whose outcome was unknown.</summary>
    public bool ClearsReason { get; init; }

    /// <summary>The transaction never reached Paypro: the producer may retry with a new tradeNo.</summary>
    public bool NotSent { get; init; }

    /// <summary>An operator released a held payout: it is sent now, so the grace period for an unknown outcome counts from here.</summary>
    public bool Releases { get; init; }

    /// <summary>What the payout took from the day limits' counts with this change (a release counts from then on).</summary>
    public CountedLimits? Counted { get; init; }

    /// <summary>Paypro's id for an accepted create call.</summary>
    public string? SerialNumber { get; init; }

    /// <summary>The status an accepted create call answered, when it gave one.</summary>
    public string? PayproStatus { get; init; }
}

/// <summary>A contradicting result, kept on the record and announced, never applied: the state does not change.</summary>
/// <param name="EventName">The anomaly's name (<c>anomaly-…</c>), unique within the transaction.</param>
/// <param name="Text">What the record keeps and the event carries: the name, then what contradicts what.</param>
internal sealed record AnomalyKept(string EventName, string Text) : Transition(EventName)
{
    /// <summary>
    /// An anomaly of the worst kind: failed as never sent, yet Paypro reports it paid (a retry with a new tradeNo pays twice).
    /// </summary>
    public bool PaidNotSent { get; init; }
}

/// <summary>Flags the transaction as pending for too long, and announces it; its state does not change.</summary>
internal sealed record StuckFlag() : Transition(TransactionRules.Stuck);

/// <summary>What an unsigned callback leads to: it is never applied, at most it brings the next check forward.</summary>
internal enum UnsignedHintAnswer
{
    /// <summary>The transaction is final; the hint is recorded and nothing else happens.</summary>
    Ignore,

    /// <summary>Query Paypro now; only its answer can change the transaction.</summary>
    CheckNow,
}

/// <summary>
/// Every transition rule, in one place, as pure functions of (the record, what was observed, now): each returns
/// the change to make, or null when there is nothing to change, and mutates nothing. States only move forward, a
/// final state never changes, and a result that contradicts what is recorded (success after failure, another
/// amount) is kept as an anomaly. Duplicates and out-of-order deliveries decide nothing, so they are harmless.
/// </summary>
internal static class TransactionRules
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Rejected = "rejected";
    public const string Held = "held";
    public const string Stuck = "stuck";
    public const string AnomalyPrefix = "anomaly-";

    /// <summary>The one mapping from Paypro's transaction status to a state.</summary>
    public static TransactionState StateFor(PayproStatusKind kind) => kind switch
    {
        PayproStatusKind.Succeeded => TransactionState.Succeeded,
        PayproStatusKind.Processing => TransactionState.Processing,
        _ => TransactionState.Failed,
    };

    /// <summary>A valid request, recorded before its create call is sent, so a crash after the call leaves a trace.</summary>
    public static StateChange OnNewRequest() => new(TransactionState.Submitting, null);

    /// <summary>
    /// A valid payout that is not sent (<see cref="PayoutControls"/> decided why: the approval threshold or a day limit):
    /// held for an operator, with that as its reason, and announced.
    /// </summary>
    public static StateChange OnHold(string reason) => new(TransactionState.Held, Held) { Reason = reason };

    /// <summary>
    /// An operator released a held payout: it goes to submitting, and its create call follows at once, through the
    /// submit path. Only a held payout can be released, so of two releases (repeated, or on two instances) one writes.
    /// </summary>
    public static StateChange? OnRelease(TransactionRecord record, CountedLimits? counted) =>
        record.State == TransactionState.Held
            ? new StateChange(TransactionState.Submitting, null) { ClearsReason = true, Releases = true, Counted = counted }
            : null;

    /// <summary>A held payout cancelled, by an operator or because it was held too long: rejected with that reason, nothing sent.</summary>
    public static StateChange? OnCancel(TransactionRecord record, string reason) =>
        record.State == TransactionState.Held ? Finish(TransactionState.Rejected, reason) : null;

    /// <summary>A request with a valid tradeNo that is invalid otherwise: rejected, and never sent.</summary>
    public static StateChange OnInvalidRequest(string reason) => Finish(TransactionState.Rejected, reason);

    /// <summary>The client refused the request before sending anything (its own validation).</summary>
    public static StateChange? OnNotSent(TransactionRecord record, string reason) =>
        record.State.IsAtRest() ? null : Finish(TransactionState.Rejected, reason);

    /// <summary>
    /// The create call's answer: accepted (submitted, or the result it already carries), refused (failed, the money
    /// never left) or unknown (resolved only by querying, never by sending again). It may come after a callback or a
    /// poll has already moved the transaction on.
    /// </summary>
    public static Transition? OnCreateAnswer(TransactionRecord record, PayproCreateResult result)
    {
        if (record.State == TransactionState.Held)
        {
            // Nothing is sent for a held payout; a release moves it to submitting before its create call.
            return null;
        }
        switch (result.Outcome)
        {
            case PayproOutcome.Accepted when result.Status is null || PayproStatus.Classify(result.Status) == PayproStatusKind.Processing:
                if (record.State.IsFinal() && record.NotSent)
                {
                    // Failed as never sent, yet Paypro took the request: the money may leave. Kept and announced, not applied.
                    return Anomaly(
                        record,
                        AnomalyPrefix + "accepted-" + Sanitize(result.Status ?? "none"),
                        $"Paypro accepted the create call (status {result.Status ?? "none"})"
                        + $" after the transaction was {record.State.ToWire()} as never sent");
                }
                return record.State.Rank() >= TransactionState.Submitted.Rank()
                    ? null
                    : new StateChange(TransactionState.Submitted, null)
                    {
                        SerialNumber = result.SerialNumber,
                        PayproStatus = result.Status,
                        ClearsReason = true,
                    };
            case PayproOutcome.Accepted:
            case PayproOutcome.Refused when result.Status is not null:
                return OnReport(
                    record,
                    new PayproObservation(
                        ObservationSource.CreateCall,
                        result.Status!,
                        result.StatusMessage,
                        null,
                        null,
                        null,
                        null,
                        SerialNumber: result.SerialNumber));
            case PayproOutcome.Refused when record.State is TransactionState.Submitting or TransactionState.Unknown:
                return Finish(
                    TransactionState.Failed,
                    $"Paypro refused the request (code {result.Code}{(string.IsNullOrEmpty(result.Msg) ? "" : ": " + result.Msg)});"
                    + " the money never left. Retry with a new tradeNo.");
            case PayproOutcome.Refused
                when record.State is TransactionState.Submitted or TransactionState.Processing or TransactionState.Succeeded:
                // A late refusal of a request Paypro has already accepted (or executed) contradicts it: kept and announced, not applied.
                return Anomaly(
                    record,
                    AnomalyPrefix + "refused-" + Sanitize(result.Code ?? "none"),
                    $"Paypro refused the create call (code {result.Code})"
                    + $" after the transaction was already {record.State.ToWire()}; not applied");
            case PayproOutcome.Refused:
                return null;
            default:
                return MarkUnknown(record, $"Outcome of the create call unknown ({result.Detail ?? "no answer"}); resolving by query.");
        }
    }

    /// <summary>A result Paypro reported, in a verified callback, a query answer or a create call's answer.</summary>
    public static Transition? OnReport(TransactionRecord record, PayproObservation observation)
    {
        var target = StateFor(observation.Kind);
        var amountDiffers = observation.Amount is { } amount && amount != record.Amount;
        if (record.State == TransactionState.Held)
        {
            // Paypro was never sent this payout: whatever it reports contradicts the record. Kept and announced, never applied.
            return AnomalyFor(
                record,
                observation,
                $"{ResultText.Of(observation)} for a payout that is held and was never sent; not applied");
        }

        if (record.State.IsFinal())
        {
            // "Processing" after a final result is a late, out-of-order delivery, not a contradiction.
            if (target == TransactionState.Processing || (target == record.State && !amountDiffers))
            {
                return null;
            }
            return AnomalyFor(
                record,
                observation,
                $"{ResultText.Of(observation)} after the transaction was already {record.State.ToWire()}");
        }
        if (amountDiffers && target != TransactionState.Processing)
        {
            return AnomalyFor(record, observation, $"{ResultText.Of(observation)} but the transaction is for {record.Amount}; not applied");
        }
        if (target == TransactionState.Processing)
        {
            return record.State.Rank() < TransactionState.Processing.Rank()
                ? new StateChange(TransactionState.Processing, null) { Observation = observation }
                : null;
        }
        return new StateChange(target, target == TransactionState.Succeeded ? Succeeded : Failed)
        {
            Observation = observation,
            Reason = target == TransactionState.Failed
                ? $"Paypro reported status {observation.Status}"
                    + (string.IsNullOrEmpty(observation.Message) ? "." : $": {observation.Message}.")
                : null,
        };
    }

    /// <summary>
    /// A query answered that Paypro does not know the tradeNo. Only a transaction whose create answer is missing can
    /// be decided by that, only after <paramref name="gracePeriod"/> from sending, and only while the query channel is
    /// known good (<paramref name="channelKnownGood"/>: the same credentials found a transaction recently): then the
    /// money never left. Otherwise the transaction stays unknown.
    /// </summary>
    public static StateChange? OnQueryNotFound(TransactionRecord record, DateTimeOffset now, TimeSpan gracePeriod, bool channelKnownGood)
    {
        if (!NotFoundCanDecide(record, now, gracePeriod))
        {
            // Within the grace period; from submitted on, MarkUnknown changes nothing (Paypro accepted it earlier).
            return MarkUnknown(record, "Paypro does not know this tradeNo yet.");
        }
        if (!channelKnownGood)
        {
            return MarkUnknown(
                record,
                "Paypro does not know this tradeNo, but its status queries are not known to work now;"
                + " waiting for a query that finds a transaction.");
        }
        var sentAt = record.SubmittedAt ?? record.CreatedAt;
        return Finish(
            TransactionState.Failed,
            $"Paypro does not know this tradeNo {FormatSpan(now - sentAt)} after it was sent:"
            + " the money never left. Retry with a new tradeNo.",
            notSent: true);
    }

    /// <summary>
    /// Whether "not found" would decide <paramref name="record"/> now: its create answer is missing (submitting or unknown;
    /// Paypro accepted anything later, so "not found" then is Paypro's inconsistency, not a verdict) and the grace period has passed.
    /// </summary>
    public static bool NotFoundCanDecide(TransactionRecord record, DateTimeOffset now, TimeSpan gracePeriod) =>
        record.State is TransactionState.Submitting or TransactionState.Unknown
            && now - (record.SubmittedAt ?? record.CreatedAt) >= gracePeriod;

    /// <summary>
    /// A query got no answer. If the create call's answer was never recorded (a crash after "submitting"), say so;
    /// the outcome stays open until a query answers.
    /// </summary>
    public static StateChange? OnNoAnswer(TransactionRecord record) =>
        MarkUnknown(record, "No answer to the create call was recorded; waiting for Paypro to answer a status query.");

    /// <summary>A pending transaction older than <paramref name="stuckAfter"/> is flagged once, and announced.</summary>
    public static StuckFlag? OnStuckCheck(TransactionRecord record, DateTimeOffset now, TimeSpan stuckAfter) =>
        record.StuckAt is not null || record.State.IsAtRest() || now - record.CreatedAt < stuckAfter
            ? null
            : new StuckFlag();

    /// <summary>An unsigned callback cannot be trusted as is: it only brings the next check of a pending transaction forward.</summary>
    public static UnsignedHintAnswer OnUnsignedHint(TransactionRecord record) =>
        record.State.IsAtRest() ? UnsignedHintAnswer.Ignore : UnsignedHintAnswer.CheckNow;

    /// <summary>
    /// A request for a recorded tradeNo that is not the request it was recorded from (<paramref name="digest"/> names it):
    /// never sent, kept as an anomaly of the recorded transaction and announced, once per distinct request. A payin reusing a
    /// payout's tradeNo is an anomaly of the payout.
    /// </summary>
    public static AnomalyKept? OnConflictingRequest(
        TransactionRecord record,
        TransactionKind requestedKind,
        string digest,
        IReadOnlyList<string> differences) =>
        Anomaly(
            record,
            AnomalyPrefix + "conflict-" + digest[..12],
            $"a {requestedKind.ToWire()} request with this tradeNo differs from the recorded {record.Kind.ToWire()}"
            + $" in {string.Join(", ", differences)}; it was not sent");

    /// <summary>A duration as the reasons write it: <c>hh:mm:ss</c>, with days when there are any.</summary>
    public static string FormatSpan(TimeSpan span) =>
        span.ToString(span.TotalDays >= 1 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", CultureInfo.InvariantCulture);

    /// <summary>A final state that Paypro did not report (rejected, or never sent).</summary>
    private static StateChange Finish(TransactionState to, string reason, bool notSent = true) =>
        new(to, to == TransactionState.Rejected ? Rejected : Failed) { Reason = reason, NotSent = notSent };

    /// <summary>The create call's outcome is unknown (no event: it is not a result). Only from submitting.</summary>
    private static StateChange? MarkUnknown(TransactionRecord record, string reason) =>
        record.State == TransactionState.Held || record.State.Rank() >= TransactionState.Unknown.Rank()
            ? null
            : new StateChange(TransactionState.Unknown, null) { Reason = reason };

    private static AnomalyKept? AnomalyFor(TransactionRecord record, PayproObservation observation, string text) =>
        Anomaly(record, ResultAnomalyKey(observation.Status, observation.AmountText), text) is { } anomaly
            ? anomaly with { PaidNotSent = IsPaidNotSent(record, observation.Kind) }
            : null;

    /// <summary>
    /// A disagreement that reconciliation found (<see cref="ReconciliationMatrix"/>): kept and announced once per
    /// <see cref="Disagreement.Key"/>, never applied.
    /// </summary>
    public static AnomalyKept? OnDisagreement(TransactionRecord record, Disagreement disagreement) =>
        Anomaly(record, disagreement.Key, disagreement.Text) is { } anomaly ? anomaly with { PaidNotSent = disagreement.Critical } : null;

    /// <summary>The anomaly name of a result Paypro reported (a status and an amount), whichever path brought it.</summary>
    public static string ResultAnomalyKey(string status, string? amountText) =>
        AnomalyPrefix + Sanitize(status) + "-" + Sanitize(amountText ?? "none");

    /// <summary>Failed as never sent, yet Paypro reports it paid: the case where a retry with a new tradeNo pays twice.</summary>
    public static bool IsPaidNotSent(TransactionRecord record, PayproStatusKind reported) =>
        record.State == TransactionState.Failed && record.NotSent && reported == PayproStatusKind.Succeeded;

    /// <summary>
    /// One anomaly per distinct contradiction, named by <paramref name="key"/> (its event name, unique within the
    /// transaction): Paypro's eight retries of the same wrong callback are one anomaly, not eight.
    /// </summary>
    private static AnomalyKept? Anomaly(TransactionRecord record, string key, string text)
    {
        foreach (var existing in record.Anomalies)
        {
            if (existing.StartsWith(key + ":", StringComparison.Ordinal))
            {
                return null;
            }
        }
        return new AnomalyKept(key, $"{key}: {text}");
    }

    /// <summary>Text as it may appear in an anomaly's name: at most 24 letters, digits and dots, anything else as <c>_</c>.</summary>
    public static string Sanitize(string text)
    {
        Span<char> buffer = stackalloc char[Math.Min(text.Length, 24)];
        for (var i = 0; i < buffer.Length; i++)
        {
            var c = text[i];
            buffer[i] = char.IsAsciiLetterOrDigit(c) || c == '.' ? c : '_';
        }
        return new string(buffer);
    }
}
