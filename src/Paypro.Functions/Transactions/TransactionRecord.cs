using Azure;

namespace Paypro.Functions.Transactions;

/// <summary>
/// One payout or payin, keyed by the merchant's tradeNo (the idempotency key). Paypro's notify
/// callback does not say whether it is about a payin or a payout, so a tradeNo is unique across both.
/// </summary>
public sealed class TransactionRecord
{
    public required string TradeNo { get; init; }
    public required TransactionKind Kind { get; init; }
    public TransactionState State { get; set; }
    public long Amount { get; init; }

    /// <summary>Normalised M-Pesa number (2547XXXXXXXX); empty for a rejected request without a valid one.</summary>
    public string Mobile { get; init; } = "";
    public string? Remark { get; init; }
    public string? NotifyUrl { get; init; }

    /// <summary>The producer's metadata (a flat JSON object of strings), echoed in every event.</summary>
    public string? MetadataJson { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>When the create call was sent; the grace period for an unknown tradeNo counts from here.</summary>
    public DateTimeOffset? SubmittedAt { get; set; }
    public DateTimeOffset? FinalAt { get; set; }

    /// <summary>Why a transaction was rejected or failed, in words a merchant's operator can act on.</summary>
    public string? Reason { get; set; }

    /// <summary>True when the transaction failed because it never reached Paypro: the producer may retry with a new tradeNo.</summary>
    public bool NotSent { get; set; }

    public string? SerialNumber { get; set; }
    public string? PlatFormTradeNo { get; set; }
    public string? PayproStatus { get; set; }
    public string? PayproMessage { get; set; }

    /// <summary>Paypro's amount as it wrote it (for example <c>3.0000</c>).</summary>
    public string? PaidAmount { get; set; }
    public DateTimeOffset? SuccessTimeUtc { get; set; }
    public string? MpesaReceiptNumber { get; set; }

    /// <summary>When the payout was held (<see cref="TransactionState.Held"/>); it expires <c>Controls:HoldExpiry</c> later.</summary>
    public DateTimeOffset? HeldAt { get; set; }

    /// <summary>When an operator released the held payout to be sent.</summary>
    public DateTimeOffset? ReleasedAt { get; set; }

    /// <summary>What this payout took from the day limits' counts when it was cleared, so that a failure gives it back.</summary>
    public CountedLimits? Counted { get; set; }

    /// <summary>When the transaction was flagged as pending for too long.</summary>
    public DateTimeOffset? StuckAt { get; set; }

    /// <summary>Contradicting results kept for investigation, never applied, newest last.</summary>
    public List<string> Anomalies { get; init; } = [];

    /// <summary>
    /// The storage version of the transaction's entry in the due index as last written by the app, so that reaching
    /// a final state can take the entry out in the same invocation, and only if nothing moved or re-made it since.
    /// </summary>
    public ETag? DueETag { get; set; }

    /// <summary>The partition of the index that holds the transaction's due entry and creation row, chosen when it was created.</summary>
    public string? IndexPartition { get; init; }

    /// <summary>
    /// The events this transaction wrote that are not known to be on the events queue (outbox row names). Written with
    /// each event, in the same batch. While the transaction is pending, a confirmed send takes the name off; once it is
    /// final, leaving the due index is the confirmation, and the list is read only while the transaction still has an entry.
    /// </summary>
    public List<string> Unsent { get; init; } = [];

    /// <summary>
    /// The processing attempt that inserted this record (a nonce of one delivery). An insert whose answer was lost is
    /// retried by the storage client and then conflicts with itself; finding its own nonce tells the attempt the record is its own.
    /// </summary>
    public string? SubmitNonce { get; init; }

    /// <summary>The W3C trace context of the transaction (its submit span), carried by every event it announces.</summary>
    public string? TraceParent { get; init; }

    /// <summary>When the producer's message was enqueued (its insertion time), or when the transaction was recorded.</summary>
    public DateTimeOffset? EnqueuedAt { get; init; }

    /// <summary>
    /// Counts the writes to this record. Each write inserts a row for its revision in the same batch,
    /// so two writers starting from one revision cannot both succeed, even where If-Match is ignored.
    /// </summary>
    public int Revision { get; set; }

    /// <summary>The storage version this record was read at; every update is conditional on it.</summary>
    public ETag ETag { get; set; }
}
