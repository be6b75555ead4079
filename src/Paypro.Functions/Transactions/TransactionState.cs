namespace Paypro.Functions.Transactions;

/// <summary>Where a transaction stands. States only move forward; a final state never changes.</summary>
public enum TransactionState
{
    /// <summary>Recorded and about to be sent to Paypro; written before the call so a crash leaves a trace.</summary>
    Submitting,

    /// <summary>The outcome of the create call is unknown (timeout, 5xx, code 5000, crash): resolved only by querying.</summary>
    Unknown,

    /// <summary>Paypro accepted the request; no result yet.</summary>
    Submitted,

    /// <summary>Paypro reports the transaction as processing (status 0015).</summary>
    Processing,

    /// <summary>Final: the money moved (status 0000).</summary>
    Succeeded,

    /// <summary>Final: Paypro refused or failed it, or it never reached Paypro (see the reason).</summary>
    Failed,

    /// <summary>Final: the request was invalid and never sent, or an operator cancelled it while held (see the reason).</summary>
    Rejected,

    /// <summary>
    /// A valid payout that is not sent: over <c>Controls:ApprovalThreshold</c>, or it would pass a day limit (the reason
    /// says which). It waits for an operator to release or cancel it, and is never polled. First in the forward order.
    /// </summary>
    Held,
}

/// <summary>What the merchant asked for.</summary>
public enum TransactionKind
{
    Payout,
    Payin,
}

internal static class TransactionStateExtensions
{
    public static bool IsFinal(this TransactionState state) =>
        state is TransactionState.Succeeded or TransactionState.Failed or TransactionState.Rejected;

    /// <summary>
    /// Whether the transaction needs nothing of the poller but its unconfirmed events: final, or held (it waits for an
    /// operator, so it is not queried, not flagged stuck, and leaves the due index once its events are out).
    /// </summary>
    public static bool IsAtRest(this TransactionState state) => state.IsFinal() || state == TransactionState.Held;

    /// <summary>
    /// Forward order. Held comes first (nothing was sent); Unknown sits below Submitted: a query that finds the transaction moves it on.
    /// </summary>
    public static int Rank(this TransactionState state) => state switch
    {
        TransactionState.Held => -1,
        TransactionState.Submitting => 0,
        TransactionState.Unknown => 1,
        TransactionState.Submitted => 2,
        TransactionState.Processing => 3,
        _ => 4,
    };

    public static string ToWire(this TransactionState state) => state switch
    {
        TransactionState.Submitting => "submitting",
        TransactionState.Unknown => "unknown",
        TransactionState.Submitted => "submitted",
        TransactionState.Processing => "processing",
        TransactionState.Succeeded => "succeeded",
        TransactionState.Failed => "failed",
        TransactionState.Rejected => "rejected",
        TransactionState.Held => "held",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static bool TryParseWire(string? text, out TransactionState state)
    {
        foreach (var candidate in Enum.GetValues<TransactionState>())
        {
            if (candidate.ToWire() == text)
            {
                state = candidate;
                return true;
            }
        }
        state = default;
        return false;
    }

    public static string ToWire(this TransactionKind kind) => kind == TransactionKind.Payout ? "payout" : "payin";

    /// <summary>Paypro's status query for a transaction of <paramref name="kind"/>: the payout or the payin query.</summary>
    public static Task<PayproQueryResult> QueryStatusAsync(
        this PayproClient paypro,
        TransactionKind kind,
        string tradeNo,
        CancellationToken cancellationToken) =>
        kind == TransactionKind.Payout
            ? paypro.QueryPayoutAsync(tradeNo, cancellationToken)
            : paypro.QueryPayinAsync(tradeNo, cancellationToken);

    public static bool TryParseWire(string? text, out TransactionKind kind)
    {
        switch (text)
        {
            case "payout":
                kind = TransactionKind.Payout;
                return true;
            case "payin":
                kind = TransactionKind.Payin;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}
