using System.Text.Json;
using System.Text.Json.Serialization;

namespace Paypro.Functions.Transactions;

/// <summary>
/// The events announced on the events queue. Each is built when its transition is written (the outbox
/// row holds the exact message), so a redelivered event is byte-for-byte the same and its id lets
/// consumers de-duplicate.
/// </summary>
public static class TransactionEvents
{
    /// <summary>The event id: stable per transaction and transition.</summary>
    public static string EventId(string tradeNo, string eventName) => $"{tradeNo}:{eventName}";

    /// <summary>The event type, for example <c>payout.succeeded</c> or <c>payin.anomaly</c>.</summary>
    public static string EventType(TransactionKind kind, string eventName) =>
        kind.ToWire() + "." + (eventName.StartsWith(TransactionRules.AnomalyPrefix, StringComparison.Ordinal) ? "anomaly" : eventName);

    public static string Build(TransactionRecord record, string eventName, DateTimeOffset occurredAt, string? anomaly = null)
    {
        using var metadata = JsonDocument.Parse(string.IsNullOrEmpty(record.MetadataJson) ? "{}" : record.MetadataJson);
        return JsonSerializer.Serialize(new TransactionEvent(
            EventId(record.TradeNo, eventName),
            EventType(record.Kind, eventName),
            record.TradeNo,
            record.Kind.ToWire(),
            record.State.ToWire(),
            record.Amount,
            record.PaidAmount,
            record.PayproStatus,
            record.PayproMessage,
            record.PlatFormTradeNo,
            record.SerialNumber,
            record.MpesaReceiptNumber,
            record.Reason,
            record.NotSent,
            anomaly,
            occurredAt.ToUniversalTime(),
            record.CreatedAt.ToUniversalTime(),
            // The transaction's trace: a consumer that continues it joins the producer's trace.
            record.TraceParent,
            record.SuccessTimeUtc?.ToUniversalTime(),
            metadata.RootElement), TransactionEventJsonContext.Default.TransactionEvent);
    }
}

/// <summary>An event on the events queue, field by field (the README's event contract). Absent values are null, except successTime, which is left out.</summary>
internal sealed record TransactionEvent(
    string Id,
    string Type,
    string TradeNo,
    string Kind,
    string State,
    long Amount,
    string? PaidAmount,
    string? PayproStatus,
    string? PayproMessage,
    string? PlatFormTradeNo,
    string? SerialNumber,
    string? MpesaReceiptNumber,
    string? Reason,
    bool NotSent,
    string? Anomaly,
    DateTimeOffset OccurredAt,
    DateTimeOffset CreatedAt,
    string? Traceparent,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? SuccessTime,
    JsonElement Metadata);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(TransactionEvent))]
internal sealed partial class TransactionEventJsonContext : JsonSerializerContext;
