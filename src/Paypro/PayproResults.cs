namespace Paypro;

/// <summary>What became of a create call (payout, payin, checkout).</summary>
public enum PayproOutcome
{
    /// <summary>Paypro took the order: request code <c>0000</c> and transaction status <c>0000</c> or <c>0015</c>.</summary>
    Accepted,

    /// <summary>
    /// Paypro definitively refused the order and did not execute it: request code <c>8000</c>, or
    /// code <c>0000</c> with a failure status. Retrying needs a new tradeNo.
    /// </summary>
    Refused,

    /// <summary>
    /// Nobody knows whether Paypro executed the order: a timeout, a network error, an HTTP error, code
    /// <c>5000</c> or any other code, or an unreadable answer. Resolve it by querying the tradeNo; never
    /// send the same order again blindly.
    /// </summary>
    Unknown,
}

/// <summary>What became of a status query, M-Pesa lookup or balance call.</summary>
public enum PayproQueryOutcome
{
    /// <summary>Paypro answered with the transaction (or the balance).</summary>
    Found,

    /// <summary>
    /// Paypro does not know the transaction (request code <c>8000</c> on a query). This is not a
    /// failure of the transaction. For the balance call: the configured path does not exist (HTTP 404).
    /// </summary>
    NotFound,

    /// <summary>No usable answer, even after retries; ask again later.</summary>
    Unknown,
}

/// <summary>The answer to a payout, payin or checkout request.</summary>
public sealed class PayproCreateResult
{
    public PayproOutcome Outcome { get; init; }

    /// <summary>Paypro's request-level <c>code</c> (<c>0000</c> only means the request was accepted).</summary>
    public string? Code { get; init; }

    /// <summary>Paypro's request-level <c>msg</c>.</summary>
    public string? Msg { get; init; }

    /// <summary>Paypro's id for the request (<c>data.serialNumber</c>).</summary>
    public string? SerialNumber { get; init; }

    /// <summary>The transaction status (<c>data.status</c>): <c>0000</c> success, <c>0015</c> processing, anything else failure.</summary>
    public string? Status { get; init; }

    /// <summary>Paypro's description of the status (<c>data.message</c>).</summary>
    public string? StatusMessage { get; init; }

    /// <summary>The page to send the payer to, for a checkout.</summary>
    public string? CheckoutUrl { get; init; }

    /// <summary>The HTTP status of the answer; null when none arrived (timeout, network error).</summary>
    public int? HttpStatus { get; init; }

    /// <summary>
    /// Why the outcome is <see cref="PayproOutcome.Refused"/> or <see cref="PayproOutcome.Unknown"/>, readable, without secrets.
    /// </summary>
    public string? Detail { get; init; }
}

/// <summary>A transaction as a Paypro query reports it.</summary>
public sealed class PayproTransaction
{
    /// <summary>Paypro's transaction id.</summary>
    public string? PlatFormTradeNo { get; init; }

    /// <summary>The merchant's tradeNo.</summary>
    public string? TradeNo { get; init; }

    /// <summary>The amount as a number, when <see cref="AmountText"/> is one.</summary>
    public decimal? Amount { get; init; }

    /// <summary>The amount exactly as received (Paypro sends <c>3.0000</c> as a number or <c>"3"</c> as a string).</summary>
    public string? AmountText { get; init; }

    /// <summary>The transaction status: <c>0000</c> success, <c>0015</c> processing, anything else failure.</summary>
    public required string Status { get; init; }

    /// <summary>Paypro's description of the status (for example <c>REJECTED_TRANSACTION</c>).</summary>
    public string? Message { get; init; }

    /// <summary>
    /// <c>successTime</c> converted from Kenya time to UTC; null when absent or unreadable. A failed
    /// transaction may carry one too.
    /// </summary>
    public DateTimeOffset? SuccessTimeUtc { get; init; }

    /// <summary>The M-Pesa receipt code, on an M-Pesa lookup.</summary>
    public string? MpesaReceiptNumber { get; init; }

    public PayproStatusKind Kind => PayproStatus.Classify(Status);
}

/// <summary>The answer to a payout or payin status query or an M-Pesa code lookup.</summary>
public sealed class PayproQueryResult
{
    public PayproQueryOutcome Outcome { get; init; }

    /// <summary>Paypro's request-level <c>code</c>.</summary>
    public string? Code { get; init; }

    /// <summary>Paypro's request-level <c>msg</c>.</summary>
    public string? Msg { get; init; }

    /// <summary>The HTTP status of the last answer; null when none arrived.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>Why the outcome is <see cref="PayproQueryOutcome.NotFound"/> or <see cref="PayproQueryOutcome.Unknown"/>.</summary>
    public string? Detail { get; init; }

    /// <summary>The transaction, when <see cref="Outcome"/> is <see cref="PayproQueryOutcome.Found"/>.</summary>
    public PayproTransaction? Transaction { get; init; }
}

/// <summary>The merchant's balance with Paypro.</summary>
public sealed class PayproBalanceResult
{
    public PayproQueryOutcome Outcome { get; init; }

    public decimal? AvailableAmount { get; init; }

    public decimal? FreezeAmount { get; init; }

    public decimal? UnsettledAmount { get; init; }

    /// <summary>Paypro's request-level <c>code</c>.</summary>
    public string? Code { get; init; }

    /// <summary>Paypro's request-level <c>msg</c>.</summary>
    public string? Msg { get; init; }

    /// <summary>The HTTP status of the last answer; null when none arrived.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>Why the outcome is <see cref="PayproQueryOutcome.NotFound"/> or <see cref="PayproQueryOutcome.Unknown"/>.</summary>
    public string? Detail { get; init; }
}
