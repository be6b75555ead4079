using System.Text.Json;
using System.Text.Json.Serialization;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Operations;

/// <summary>
/// What every view of a transaction begins with: its tradeNo, kind, state, whether that state is final, its amount and
/// its mobile number, masked.
/// </summary>
public abstract record TransactionHeading
{
    private protected TransactionHeading(TransactionRecord record)
    {
        TradeNo = record.TradeNo;
        Kind = record.Kind.ToWire();
        State = record.State.ToWire();
        Final = record.State.IsFinal();
        Amount = record.Amount;
        Mobile = PayproValidation.MaskMobile(record.Mobile);
    }

    // The serializer writes a derived type's properties before its base's; the order puts these first in every view.
    [JsonPropertyOrder(-1)]
    public string TradeNo { get; }

    [JsonPropertyOrder(-1)]
    public string Kind { get; }

    [JsonPropertyOrder(-1)]
    public string State { get; }

    [JsonPropertyOrder(-1)]
    public bool Final { get; }

    [JsonPropertyOrder(-1)]
    public long Amount { get; }

    [JsonPropertyOrder(-1)]
    public string Mobile { get; }
}

/// <summary>A transaction as the operator's API shows it. Mobile numbers are masked.</summary>
public sealed record TransactionView : TransactionHeading
{
    private TransactionView(TransactionRecord record, IReadOnlyList<HistoryEntry>? history)
        : base(record)
    {
        if (!string.IsNullOrEmpty(record.MetadataJson))
        {
            using var document = JsonDocument.Parse(record.MetadataJson);
            Metadata = document.RootElement.Clone();
        }
        Remark = record.Remark;
        Reason = record.Reason;
        NotSent = record.NotSent;
        SerialNumber = record.SerialNumber;
        PlatFormTradeNo = record.PlatFormTradeNo;
        PayproStatus = record.PayproStatus;
        PayproMessage = record.PayproMessage;
        PaidAmount = record.PaidAmount;
        SuccessTime = record.SuccessTimeUtc;
        MpesaReceiptNumber = record.MpesaReceiptNumber;
        CreatedAt = record.CreatedAt;
        UpdatedAt = record.UpdatedAt;
        SubmittedAt = record.SubmittedAt;
        FinalAt = record.FinalAt;
        StuckAt = record.StuckAt;
        Anomalies = record.Anomalies;
        TraceParent = record.TraceParent;
        History = history?.Select(h => new HistoryView(h.At, h.Category, h.Verdict, h.Detail)).ToList();
        HeldAt = record.HeldAt;
        ReleasedAt = record.ReleasedAt;
    }

    public string? Remark { get; }

    public string? Reason { get; }

    public bool NotSent { get; }

    public string? SerialNumber { get; }

    public string? PlatFormTradeNo { get; }

    public string? PayproStatus { get; }

    public string? PayproMessage { get; }

    public string? PaidAmount { get; }

    public DateTimeOffset? SuccessTime { get; }

    public string? MpesaReceiptNumber { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset UpdatedAt { get; }

    public DateTimeOffset? SubmittedAt { get; }

    public DateTimeOffset? FinalAt { get; }

    public DateTimeOffset? StuckAt { get; }

    public IReadOnlyList<string> Anomalies { get; }

    public JsonElement? Metadata { get; }

    public string? TraceParent { get; }

    public IReadOnlyList<HistoryView>? History { get; }

    /// <summary>When the history goes on beyond this answer: ask again with <c>?historyAfter=</c> this token.</summary>
    public string? HistoryNext { get; init; }

    /// <summary>When the payout was held (it stays set after a release or a cancel).</summary>
    public DateTimeOffset? HeldAt { get; init; }

    /// <summary>When an operator released the held payout.</summary>
    public DateTimeOffset? ReleasedAt { get; init; }

    public static TransactionView From(TransactionRecord record, IReadOnlyList<HistoryEntry>? history) => new(record, history);
}

public sealed record HistoryView(DateTimeOffset At, string Category, string Verdict, string? Detail);

/// <summary>The held payouts (<c>GET /api/transactions/held</c>), oldest first, with their number and total amount.</summary>
public sealed record HeldList(int Count, long Amount, IReadOnlyList<HeldView> Held);

/// <summary>A held payout in the listing: the transaction, and when its hold expires.</summary>
public sealed record HeldView(TransactionView Transaction, DateTimeOffset ExpiresAt);
