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
            history?.Select(h => new HistoryView(h.At, h.Category, h.Verdict, h.Detail)).ToList());
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
internal sealed partial class FunctionsJsonContext : JsonSerializerContext;
