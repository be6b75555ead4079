using System.Buffers;
using System.Text.Json;

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
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", EventId(record.TradeNo, eventName));
            writer.WriteString("type", EventType(record.Kind, eventName));
            writer.WriteString("tradeNo", record.TradeNo);
            writer.WriteString("kind", record.Kind.ToWire());
            writer.WriteString("state", record.State.ToWire());
            writer.WriteNumber("amount", record.Amount);
            WriteOptional(writer, "paidAmount", record.PaidAmount);
            WriteOptional(writer, "payproStatus", record.PayproStatus);
            WriteOptional(writer, "payproMessage", record.PayproMessage);
            WriteOptional(writer, "platFormTradeNo", record.PlatFormTradeNo);
            WriteOptional(writer, "serialNumber", record.SerialNumber);
            WriteOptional(writer, "mpesaReceiptNumber", record.MpesaReceiptNumber);
            WriteOptional(writer, "reason", record.Reason);
            writer.WriteBoolean("notSent", record.NotSent);
            WriteOptional(writer, "anomaly", anomaly);
            writer.WriteString("occurredAt", occurredAt.ToUniversalTime());
            writer.WriteString("createdAt", record.CreatedAt.ToUniversalTime());
            // The transaction's trace: a consumer that continues it joins the producer's trace.
            WriteOptional(writer, "traceparent", record.TraceParent);
            if (record.SuccessTimeUtc is { } successTime)
            {
                writer.WriteString("successTime", successTime.ToUniversalTime());
            }
            writer.WritePropertyName("metadata");
            if (string.IsNullOrEmpty(record.MetadataJson))
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteRawValue(record.MetadataJson);
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
