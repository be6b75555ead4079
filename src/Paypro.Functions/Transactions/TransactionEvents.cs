using System.Text.Json;
using System.Text.Json.Serialization;

namespace Paypro.Functions.Transactions;

/// <summary>
/// The events announced on the events queue. Each is built when its transition is written (the outbox
/// row holds the exact message), so a redelivered event is byte-for-byte the same and its id lets
/// consumers de-duplicate.
/// </summary>
internal static class TransactionEvents
{
    /// <summary>The event id: stable per transaction and transition.</summary>
    public static string EventId(string tradeNo, string eventName) => $"{tradeNo}:{eventName}";

    /// <summary>The event type, for example <c>payout.succeeded</c> or <c>payin.anomaly</c>.</summary>
    public static string EventType(TransactionKind kind, string eventName) =>
        kind.ToWire() + "." + (eventName.StartsWith(TransactionRules.AnomalyPrefix, StringComparison.Ordinal) ? "anomaly" : eventName);

    public static string Build(TransactionRecord record, string eventName, DateTimeOffset occurredAt, string? anomaly = null)
    {
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
            string.IsNullOrEmpty(record.MetadataJson) ? "{}" : record.MetadataJson), TransactionEventJsonContext.Default.TransactionEvent);
    }
}

/// <summary>
/// An event on the events queue, field by field (the README's event contract). Absent values are null, except successTime, which is left
/// out.
/// </summary>
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
    [property: JsonConverter(typeof(RawJsonConverter))] string Metadata);

/// <summary>
/// Writes a JSON text as it is: the producer's metadata was validated as a flat object when its message came in, and
/// the event echoes it byte for byte instead of parsing it again for every event.
/// </summary>
internal sealed class RawJsonConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Events are written, never read, by the app.");

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteRawValue(value);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(TransactionEvent))]
internal sealed partial class TransactionEventJsonContext : JsonSerializerContext;
