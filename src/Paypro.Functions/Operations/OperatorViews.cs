using System.Text.Json;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Operations;

/// <summary>A transaction as the operator's API shows it. Mobile numbers are masked.</summary>
public sealed record TransactionView(
    string TradeNo,
    string Kind,
    string State,
    bool Final,
    long Amount,
    string Mobile,
    string? Remark,
    string? Reason,
    bool NotSent,
    string? SerialNumber,
    string? PlatFormTradeNo,
    string? PayproStatus,
    string? PayproMessage,
    string? PaidAmount,
    DateTimeOffset? SuccessTime,
    string? MpesaReceiptNumber,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? SubmittedAt,
    DateTimeOffset? FinalAt,
    DateTimeOffset? StuckAt,
    IReadOnlyList<string> Anomalies,
    JsonElement? Metadata,
    string? TraceParent,
    IReadOnlyList<HistoryView>? History)
{
    /// <summary>When the history goes on beyond this answer: ask again with <c>?historyAfter=</c> this token.</summary>
    public string? HistoryNext { get; init; }

    /// <summary>When the payout was held (it stays set after a release or a cancel).</summary>
    public DateTimeOffset? HeldAt { get; init; }

    /// <summary>When an operator released the held payout.</summary>
    public DateTimeOffset? ReleasedAt { get; init; }

    public static TransactionView From(TransactionRecord record, IReadOnlyList<HistoryEntry>? history)
    {
        JsonElement? metadata = null;
        if (!string.IsNullOrEmpty(record.MetadataJson))
        {
            using var document = JsonDocument.Parse(record.MetadataJson);
            metadata = document.RootElement.Clone();
        }
        return new TransactionView(
            record.TradeNo, record.Kind.ToWire(), record.State.ToWire(), record.State.IsFinal(), record.Amount,
            PayproValidation.MaskMobile(record.Mobile), record.Remark, record.Reason, record.NotSent, record.SerialNumber,
            record.PlatFormTradeNo, record.PayproStatus, record.PayproMessage, record.PaidAmount, record.SuccessTimeUtc,
            record.MpesaReceiptNumber, record.CreatedAt, record.UpdatedAt, record.SubmittedAt, record.FinalAt, record.StuckAt,
            record.Anomalies, metadata, record.TraceParent,
            history?.Select(h => new HistoryView(h.At, h.Category, h.Verdict, h.Detail)).ToList())
        {
            HeldAt = record.HeldAt,
            ReleasedAt = record.ReleasedAt,
        };
    }
}

public sealed record HistoryView(DateTimeOffset At, string Category, string Verdict, string? Detail);

/// <summary>The held payouts (<c>GET /api/transactions/held</c>), oldest first, with their number and total amount.</summary>
public sealed record HeldList(int Count, long Amount, IReadOnlyList<HeldView> Held);

/// <summary>A held payout in the listing: the transaction, and when its hold expires.</summary>
public sealed record HeldView(TransactionView Transaction, DateTimeOffset ExpiresAt);
