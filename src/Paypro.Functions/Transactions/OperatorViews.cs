using System.Text.Json;
using System.Text.Json.Serialization;

namespace Paypro.Functions.Transactions;

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

/// <summary>Paypro's answer to an M-Pesa receipt lookup, with the state it maps to.</summary>
public sealed record MpesaLookupView(
    string Code,
    string State,
    string Status,
    string? Message,
    string? TradeNo,
    string? PlatFormTradeNo,
    string? Amount,
    string? MpesaReceiptNumber,
    DateTimeOffset? SuccessTime,
    string? RecordedState);

/// <summary>The held payouts (<c>GET /api/transactions/held</c>), oldest first, with their number and total amount.</summary>
public sealed record HeldList(int Count, long Amount, IReadOnlyList<HeldView> Held);

/// <summary>A held payout in the listing: the transaction, and when its hold expires.</summary>
public sealed record HeldView(TransactionView Transaction, DateTimeOffset ExpiresAt);

/// <summary>
/// A release or a cancel: what happened (<c>released</c>, <c>already-released</c>, <c>cancelled</c>, <c>already-cancelled</c>)
/// and the payout as stored afterwards.
/// </summary>
public sealed record HoldDecisionView(string Outcome, TransactionView Transaction);

/// <summary>The body of a release or a cancel: why, in the operator's words (kept in the audit trail).</summary>
public sealed record HoldRequest(string? Reason);

public sealed record BalanceView(decimal? AvailableAmount, decimal? FreezeAmount, decimal? UnsettledAmount);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(TransactionView))]
[JsonSerializable(typeof(MpesaLookupView))]
[JsonSerializable(typeof(BalanceView))]
[JsonSerializable(typeof(TransactionListPage))]
[JsonSerializable(typeof(PendingList))]
[JsonSerializable(typeof(ReconciliationReport))]
[JsonSerializable(typeof(SubmitAccepted))]
[JsonSerializable(typeof(PoisonListing))]
[JsonSerializable(typeof(RedriveRequest))]
[JsonSerializable(typeof(RedriveReport))]
[JsonSerializable(typeof(HeldList))]
[JsonSerializable(typeof(HoldDecisionView))]
[JsonSerializable(typeof(HoldRequest))]
internal sealed partial class FunctionsJsonContext : JsonSerializerContext;
