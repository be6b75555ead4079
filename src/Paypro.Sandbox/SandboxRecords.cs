namespace Paypro.Sandbox;

/// <summary>The kind of an executed transaction. Payins and checkout payins share one tradeNo space; payouts have their own.</summary>
public enum SandboxTransactionKind
{
    Payout,
    Payin,
    Checkout,
}

/// <summary>A transaction the sandbox executed, as it stands now.</summary>
/// <param name="Kind">Payout, payin (prompt to the payer's phone) or checkout payin (hosted page).</param>
/// <param name="TradeNo">The merchant's id.</param>
/// <param name="PlatFormTradeNo">The sandbox's id (32 hex), also the create answer's <c>serialNumber</c>.</param>
/// <param name="Amount">Whole shillings.</param>
/// <param name="Mobile">The payer's or payee's number; null for checkout payins.</param>
/// <param name="CreatedAt">When it was executed.</param>
/// <param name="Status"><c>0015</c> while processing, then <c>0000</c> or a failure status.</param>
/// <param name="Message">The status text (<c>SUCCESS</c>, <c>REJECTED_TRANSACTION</c>...).</param>
/// <param name="CompletedAt">When it reached its current final status; null while processing.</param>
/// <param name="MpesaReceiptNumber">The M-Pesa receipt code, once it succeeded.</param>
public sealed record SandboxLedgerEntry(
    SandboxTransactionKind Kind,
    string TradeNo,
    string PlatFormTradeNo,
    long Amount,
    string? Mobile,
    DateTimeOffset CreatedAt,
    string Status,
    string Message,
    DateTimeOffset? CompletedAt,
    string? MpesaReceiptNumber);

/// <summary>A request the sandbox received on one of Paypro's paths, whatever became of it.</summary>
/// <param name="Sequence">Order of arrival, from 1.</param>
/// <param name="Endpoint">The Paypro path.</param>
/// <param name="ReceivedAt">When it arrived.</param>
/// <param name="TradeNo">The body's tradeNo, when it had one (even when the request was refused).</param>
/// <param name="Code">The request-level code the client received; null when it received none (HTTP error, timeout, abort).</param>
/// <param name="Executed">Whether the request created a transaction.</param>
/// <param name="Fault">The fault that changed the answer, if any.</param>
public sealed record SandboxRequest(
    long Sequence,
    string Endpoint,
    DateTimeOffset ReceivedAt,
    string? TradeNo,
    string? Code,
    bool Executed,
    FaultKind? Fault)
{
    /// <summary>Whether this was a create call (payout, payin or checkout payin).</summary>
    public bool IsCreate => SandboxPaths.IsCreate(Endpoint);
}

/// <summary>The merchant's balance in whole shillings: payouts freeze then spend it, successful payins add to unsettled.</summary>
public readonly record struct SandboxBalance(long AvailableAmount, long FreezeAmount, long UnsettledAmount);

/// <summary>Where a callback stands.</summary>
public enum CallbackState
{
    /// <summary>Being delivered or waiting for its next attempt.</summary>
    Pending,

    /// <summary>Held by a <see cref="FaultKind.ReorderCallbacks"/> fault.</summary>
    Held,

    /// <summary>The merchant answered <c>OK</c>.</summary>
    Delivered,

    /// <summary>Every attempt of Paypro's schedule went unacknowledged.</summary>
    Exhausted,

    /// <summary>Never sent, by a <see cref="FaultKind.DropCallback"/> fault.</summary>
    Dropped,

    /// <summary>Never sent: the request had no notifyUrl and no default is configured.</summary>
    NoTarget,

    /// <summary>Stopped by a reset or shutdown.</summary>
    Cancelled,
}

/// <summary>How one callback attempt ended.</summary>
public enum CallbackOutcome
{
    /// <summary>The response body was <c>OK</c> (surrounding whitespace ignored).</summary>
    Delivered,

    /// <summary>The merchant answered, but not with <c>OK</c>.</summary>
    NotAcknowledged,

    /// <summary>No answer: connection error or <see cref="SandboxOptions.CallbackTimeout"/>.</summary>
    Failed,
}

/// <summary>One notify callback: a transaction's result to deliver, with Paypro's retries.</summary>
/// <param name="Id">Order of creation, from 1.</param>
/// <param name="Kind">The transaction's kind.</param>
/// <param name="TradeNo">The transaction's tradeNo.</param>
/// <param name="Status">The status the body carries.</param>
/// <param name="Target">The notify URL with query values masked (a function key is a secret); null without a target.</param>
/// <param name="Body">The exact JSON body sent on every attempt.</param>
/// <param name="CreatedAt">When the result was produced.</param>
/// <param name="State">Where delivery stands.</param>
/// <param name="Attempts">How many attempts were made.</param>
/// <param name="DuplicateOf">For a copy made by <see cref="FaultKind.DuplicateCallback"/>: the original's id.</param>
/// <param name="Fault">The callback fault applied to it, if any.</param>
public sealed record CallbackNotification(
    long Id,
    SandboxTransactionKind Kind,
    string TradeNo,
    string Status,
    string? Target,
    string Body,
    DateTimeOffset CreatedAt,
    CallbackState State,
    int Attempts,
    long? DuplicateOf,
    FaultKind? Fault);

/// <summary>One HTTP attempt to deliver a callback.</summary>
/// <param name="NotificationId">The <see cref="CallbackNotification.Id"/>.</param>
/// <param name="Attempt">1 for the first attempt, up to 9.</param>
/// <param name="TradeNo">The transaction's tradeNo.</param>
/// <param name="Status">The status the body carries.</param>
/// <param name="Target">The notify URL with query values masked.</param>
/// <param name="Body">The exact JSON body sent.</param>
/// <param name="ScheduledAt">When Paypro's schedule said to attempt.</param>
/// <param name="AttemptedAt">When the attempt was made.</param>
/// <param name="StatusCode">The HTTP status of the answer; null when there was none.</param>
/// <param name="ResponseText">The start of the answer's body, or why there was none.</param>
/// <param name="Outcome">Whether it counted as delivered.</param>
public sealed record CallbackAttempt(
    long NotificationId,
    int Attempt,
    string TradeNo,
    string Status,
    string Target,
    string Body,
    DateTimeOffset ScheduledAt,
    DateTimeOffset AttemptedAt,
    int? StatusCode,
    string? ResponseText,
    CallbackOutcome Outcome);

/// <summary>An active fault and how often it has fired.</summary>
/// <param name="Id">The id to remove it by.</param>
/// <param name="Fault">A copy of the fault as added.</param>
/// <param name="Remaining">How many more times it fires; null for unlimited.</param>
/// <param name="Fired">How many times it fired.</param>
public sealed record SandboxFaultStatus(int Id, SandboxFault Fault, int? Remaining, int Fired);
