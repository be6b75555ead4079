using System.Globalization;
using Paypro;

namespace Paypro.Functions.Transactions;

/// <summary>A change the rules allow: a new state and the event it announces, or an anomaly to keep.</summary>
/// <param name="To">The state after the change (unchanged for an anomaly).</param>
/// <param name="EventName">The outbox event this change announces (<c>succeeded</c>, <c>anomaly-…</c>), or null.</param>
/// <param name="Anomaly">A contradicting result, kept on the record and announced, never applied.</param>
public sealed record Transition(TransactionState To, string? EventName, string? Anomaly = null)
{
    public bool IsAnomaly => Anomaly is not null;
}

/// <summary>
/// The state rules, in one place: states only move forward, a final state never changes, and a result
/// that contradicts what is recorded (success after failure, another amount) is kept as an anomaly.
/// Duplicates and out-of-order deliveries decide nothing, so they are harmless.
/// </summary>
public static class TransactionRules
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Rejected = "rejected";
    public const string Stuck = "stuck";
    public const string AnomalyPrefix = "anomaly-";

    /// <summary>What <paramref name="observation"/> changes on <paramref name="record"/>; null when nothing.</summary>
    public static Transition? Decide(TransactionRecord record, PayproObservation observation)
    {
        var target = observation.Kind switch
        {
            PayproStatusKind.Succeeded => TransactionState.Succeeded,
            PayproStatusKind.Processing => TransactionState.Processing,
            _ => TransactionState.Failed,
        };
        var amountDiffers = observation.Amount is { } amount && amount != record.Amount;

        if (record.State.IsFinal())
        {
            // "Processing" after a final result is a late, out-of-order delivery, not a contradiction.
            if (target == TransactionState.Processing || (target == record.State && !amountDiffers))
            {
                return null;
            }
            return AnomalyFor(record, observation, $"{Describe(observation)} after the transaction was already {record.State.ToWire()}");
        }
        if (amountDiffers && target != TransactionState.Processing)
        {
            return AnomalyFor(record, observation, $"{Describe(observation)} but the transaction is for {record.Amount}; not applied");
        }
        if (target == TransactionState.Processing)
        {
            return record.State.Rank() < TransactionState.Processing.Rank() ? new Transition(TransactionState.Processing, null) : null;
        }
        return new Transition(target, target == TransactionState.Succeeded ? Succeeded : Failed);
    }

    /// <summary><see cref="Decide"/>, then <see cref="Apply"/> when there is something to change.</summary>
    public static Transition? DecideAndApply(TransactionRecord record, PayproObservation observation, DateTimeOffset now)
    {
        var transition = Decide(record, observation);
        if (transition is not null)
        {
            Apply(record, transition, observation, now);
        }
        return transition;
    }

    /// <summary>Applies an allowed change and what Paypro said to the record (in memory).</summary>
    public static void Apply(TransactionRecord record, Transition transition, PayproObservation observation, DateTimeOffset now)
    {
        record.UpdatedAt = now;
        if (transition.IsAnomaly)
        {
            record.Anomalies.Add(transition.Anomaly!);
            return;
        }
        record.State = transition.To;
        record.PayproStatus = observation.Status;
        record.PayproMessage = observation.Message ?? record.PayproMessage;
        record.PlatFormTradeNo = observation.PlatFormTradeNo ?? record.PlatFormTradeNo;
        record.PaidAmount = observation.AmountText ?? record.PaidAmount;
        record.SuccessTimeUtc = observation.SuccessTimeUtc ?? record.SuccessTimeUtc;
        record.MpesaReceiptNumber = observation.MpesaReceiptNumber ?? record.MpesaReceiptNumber;
        record.SerialNumber = observation.SerialNumber ?? record.SerialNumber;
        if (transition.To.IsFinal())
        {
            record.FinalAt = now;
            if (transition.To == TransactionState.Failed)
            {
                record.Reason = $"Paypro reported status {observation.Status}" + (string.IsNullOrEmpty(observation.Message) ? "." : $": {observation.Message}.");
            }
        }
    }

    /// <summary>Moves a pending transaction to a final state that Paypro did not report (rejected, never sent).</summary>
    public static Transition Finish(TransactionRecord record, TransactionState to, string reason, DateTimeOffset now, bool notSent)
    {
        if (record.State.IsFinal() || !to.IsFinal())
        {
            throw new InvalidOperationException($"Cannot move transaction from {record.State.ToWire()} to {to.ToWire()}.");
        }
        record.State = to;
        record.Reason = reason;
        record.NotSent = notSent;
        record.UpdatedAt = now;
        record.FinalAt = now;
        return new Transition(to, to == TransactionState.Rejected ? Rejected : Failed);
    }

    /// <summary>Moves a transaction whose create call has an unknown outcome to Unknown (no event: it is not a result).</summary>
    public static Transition? MarkUnknown(TransactionRecord record, string detail, DateTimeOffset now)
    {
        if (record.State.Rank() >= TransactionState.Unknown.Rank())
        {
            return null;
        }
        record.State = TransactionState.Unknown;
        record.Reason = detail;
        record.UpdatedAt = now;
        return new Transition(TransactionState.Unknown, null);
    }

    private static Transition? AnomalyFor(TransactionRecord record, PayproObservation observation, string text)
    {
        // One anomaly per distinct contradicting result: Paypro's eight retries of the same wrong
        // callback are one anomaly, not eight.
        var key = AnomalyPrefix + Sanitize(observation.Status) + "-" + Sanitize(observation.AmountText ?? "none");
        foreach (var existing in record.Anomalies)
        {
            if (existing.StartsWith(key + ":", StringComparison.Ordinal))
            {
                return null;
            }
        }
        return new Transition(record.State, key, $"{key}: {text}");
    }

    private static string Describe(PayproObservation observation)
    {
        var amount = observation.AmountText ?? observation.Amount?.ToString(CultureInfo.InvariantCulture) ?? "no amount";
        return $"{observation.Source} reported status {observation.Status}" +
            (string.IsNullOrEmpty(observation.Message) ? "" : $" ({observation.Message})") + $" with amount {amount}";
    }

    private static string Sanitize(string text)
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
