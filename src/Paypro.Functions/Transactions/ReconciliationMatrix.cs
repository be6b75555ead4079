using System.Globalization;

namespace Paypro.Functions.Transactions;

/// <summary>What a reconciliation found a transaction to be, against Paypro's record of it.</summary>
public enum ReconcileOutcome
{
    /// <summary>
    /// Paypro's record matches: same state class, amount and platFormTradeNo; or Paypro does not know a transaction that never reached it.
    /// </summary>
    Agreed,

    /// <summary>Paypro's record contradicts the final state: kept as an anomaly, never applied.</summary>
    Disagreed,

    /// <summary>Still pending: listed, not queried; the poller follows it up.</summary>
    Pending,

    /// <summary>
    /// No definite answer (no answer, or "not found" while the query channel is not known good): tried again by the next run.
    /// </summary>
    NotChecked,

    /// <summary>Rejected: never sent, so there is nothing to compare.</summary>
    Rejected,
}

internal static class ReconcileOutcomeExtensions
{
    /// <summary>The wire name of an outcome: in storage, the day report and its CSV.</summary>
    public static string ToWire(this ReconcileOutcome outcome) => outcome switch
    {
        ReconcileOutcome.Agreed => "agreed",
        ReconcileOutcome.Disagreed => "disagreed",
        ReconcileOutcome.Pending => "pending",
        ReconcileOutcome.NotChecked => "notChecked",
        _ => "rejected",
    };
}

/// <summary>One way Paypro's record can contradict a final transaction (the matrix in docs/operations.md).</summary>
public enum DisagreementKind
{
    /// <summary>Another state class: Paypro reports success, failure or processing where the record says otherwise.</summary>
    State,

    /// <summary>Paypro executed another amount.</summary>
    Amount,

    /// <summary>Paypro's id differs from the one recorded.</summary>
    PlatFormTradeNo,

    /// <summary>Paypro does not know a transaction the record says reached it (while its queries are known to work).</summary>
    UnknownToPaypro,

    /// <summary>
    /// The worst case: recorded failed as never sent (a retry with a new tradeNo was invited), yet Paypro reports it paid.
    /// </summary>
    PaidNotSent,
}

/// <summary>
/// A disagreement and the anomaly that records it. <see cref="Key"/> names one Paypro answer: state and amount, which one
/// answer carries together, get the name a callback or a poll bringing the same answer gets (so it is recorded once,
/// whichever brings it first); a different platFormTradeNo and an unknown tradeNo, which carries no status, get names of their own.
/// </summary>
internal sealed record Disagreement(IReadOnlyList<DisagreementKind> Kinds, string Key, string Text)
{
    public bool Critical => Kinds.Contains(DisagreementKind.PaidNotSent);
}

/// <summary>
/// The comparison of a final transaction with Paypro's answer to a status query, as pure functions: the matrix
/// docs/operations.md documents. It decides what disagrees; <see cref="TransactionRules.OnDisagreement"/> decides what is recorded.
/// </summary>
internal static class ReconciliationMatrix
{
    /// <summary>The anomaly name of "Paypro does not know this tradeNo" (it has no status to name it by).</summary>
    public const string NotFoundKey = TransactionRules.AnomalyPrefix + "notfound";

    /// <summary>Whether <paramref name="record"/> is compared at all: final and sent (a rejected request never reached Paypro).</summary>
    public static ReconcileOutcome? Classify(TransactionRecord record) =>
        !record.State.IsFinal() ? ReconcileOutcome.Pending : record.State == TransactionState.Rejected ? ReconcileOutcome.Rejected : null;

    /// <summary>Paypro found the transaction: what of its answer contradicts the record (none when they agree).</summary>
    public static IReadOnlyList<Disagreement> Compare(TransactionRecord record, PayproTransaction found)
    {
        var disagreements = new List<Disagreement>(2);
        var paypro = TransactionRules.StateFor(found.Kind);
        var kinds = new List<DisagreementKind>(2);
        if (paypro != record.State)
        {
            kinds.Add(TransactionRules.IsPaidNotSent(record, found.Kind) ? DisagreementKind.PaidNotSent : DisagreementKind.State);
        }
        if (found.Amount is { } amount && amount != record.Amount)
        {
            kinds.Add(DisagreementKind.Amount);
        }
        var said = ResultText.Of(found);
        if (kinds.Count > 0)
        {
            var what = kinds[0] == DisagreementKind.PaidNotSent
                ? $"the transaction failed as never sent (a retry with a new tradeNo may pay twice), yet {said}"
                : $"the transaction is {record.State.ToWire()} for {record.Amount.ToString(CultureInfo.InvariantCulture)}, yet {said}";
            disagreements.Add(new Disagreement(
                kinds,
                TransactionRules.ResultAnomalyKey(found.Status, found.AmountText),
                "reconciliation: " + what + "; not applied"));
        }
        if (!string.IsNullOrEmpty(found.PlatFormTradeNo) && !string.IsNullOrEmpty(record.PlatFormTradeNo)
            && !string.Equals(found.PlatFormTradeNo, record.PlatFormTradeNo, StringComparison.Ordinal))
        {
            disagreements.Add(new Disagreement(
                [DisagreementKind.PlatFormTradeNo],
                TransactionRules.AnomalyPrefix + "platform-" + TransactionRules.Sanitize(found.PlatFormTradeNo),
                $"reconciliation: the transaction has platFormTradeNo {record.PlatFormTradeNo}, yet {said}; not applied"));
        }
        return disagreements;
    }

    /// <summary>
    /// Paypro does not know the tradeNo, and its queries are known to work: agreed for a transaction that failed as never
    /// sent, a disagreement for any other.
    /// </summary>
    public static Disagreement? CompareNotFound(TransactionRecord record) =>
        record.State == TransactionState.Failed && record.NotSent
            ? null
            : new Disagreement([DisagreementKind.UnknownToPaypro], NotFoundKey,
                $"reconciliation: the transaction is {record.State.ToWire()} for {record.Amount.ToString(CultureInfo.InvariantCulture)}, "
                + "yet Paypro does not know this tradeNo"
                + " (its status queries find other transactions); not applied");
}
