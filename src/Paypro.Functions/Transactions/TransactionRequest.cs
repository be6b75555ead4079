using System.Buffers;
using System.Text.Json;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.Transactions;

/// <summary>
/// A payout or payin request as a producer enqueues it:
/// <code>{ "tradeNo": "...", "amount": 1500, "mobile": "0712345678", "remark": "...", "notifyUrl": "https://...",
/// "metadata": { "correlationId": "..." } }</code>
/// Parsing is strict: a typo in a field name must not silently drop a setting of a money transfer.
/// </summary>
public sealed class TransactionRequest
{
    public const int MaxRemarkLength = PayproValidation.MaxRemarkLength;
    public const int MaxMetadataEntries = 16;
    public const int MaxMetadataJsonLength = 2048;

    public required string TradeNo { get; init; }
    public required long Amount { get; init; }
    public required string Mobile { get; init; }
    public string? Remark { get; init; }
    public Uri? NotifyUrl { get; init; }
    public string? MetadataJson { get; init; }

    /// <summary>The producer's W3C trace context, so the transaction joins the producer's trace.</summary>
    public string? TraceParent { get; init; }

    /// <summary>Parses and validates a message.</summary>
    /// <param name="text">The message text.</param>
    /// <param name="minAmount">Smallest amount accepted (Paypro:MinAmount).</param>
    /// <param name="maxAmount">Largest amount accepted (Paypro:MaxAmount).</param>
    /// <param name="request">The request when valid.</param>
    /// <param name="tradeNo">The message's tradeNo when it has a valid one, even if something else is wrong.</param>
    /// <param name="error">What is wrong, naming the field.</param>
    public static bool TryParse(
        string text,
        long minAmount,
        long maxAmount,
        out TransactionRequest? request,
        out string? tradeNo,
        out string? error)
    {
        request = null;
        tradeNo = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException ex)
        {
            error = $"The message is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).";
            return false;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The message must be a JSON object.";
                return false;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            string? fieldError = null;
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    if (property.Name == "tradeNo")
                    {
                        error = "The field 'tradeNo' appears more than once, so the message has no single idempotency key.";
                        return false;
                    }
                    fieldError ??= $"The field '{Clip(property.Name)}' appears more than once.";
                }
                else if (property.Name is not ("tradeNo" or "amount" or "mobile" or "remark" or "notifyUrl" or "metadata" or "traceparent"))
                {
                    fieldError ??= $"Unknown field '{Clip(property.Name)}';"
                        + " expected tradeNo, amount, mobile, remark, notifyUrl, metadata, traceparent.";
                }
            }

            if (!root.TryGetProperty("tradeNo", out var tradeNoElement) || tradeNoElement.ValueKind != JsonValueKind.String)
            {
                error = "tradeNo is required and must be a string: it is the idempotency key of the transaction.";
                return false;
            }
            var candidate = tradeNoElement.GetString();
            if (!PayproValidation.TryValidateTradeNo(candidate, out error))
            {
                return false;
            }
            tradeNo = candidate!;
            if (fieldError is not null)
            {
                error = fieldError;
                return false;
            }

            if (!TryReadAmount(root, out var amount, out error)
                || !PayproValidation.TryValidateAmount(amount, minAmount, maxAmount, out error))
            {
                return false;
            }
            if (!root.TryGetProperty("mobile", out var mobileElement) || mobileElement.ValueKind != JsonValueKind.String)
            {
                error = "mobile is required and must be a string: the M-Pesa number as 2547XXXXXXXX or 07XXXXXXXX.";
                return false;
            }
            if (!PayproValidation.TryNormalizeMobile(mobileElement.GetString(), out var mobile, out error))
            {
                return false;
            }
            string? remark = null;
            if (root.TryGetProperty("remark", out var remarkElement) && remarkElement.ValueKind != JsonValueKind.Null)
            {
                if (remarkElement.ValueKind != JsonValueKind.String
                    || !PayproValidation.TryValidateRemark(remarkElement.GetString(), out _))
                {
                    error = $"remark must be a string of at most {MaxRemarkLength} characters without control characters.";
                    return false;
                }
                remark = remarkElement.GetString();
            }
            Uri? notifyUrl = null;
            if (root.TryGetProperty("notifyUrl", out var urlElement) && urlElement.ValueKind != JsonValueKind.Null)
            {
                if (urlElement.ValueKind != JsonValueKind.String
                    || !PayproValidation.TryParseNotifyUrl(urlElement.GetString(), out notifyUrl))
                {
                    error = "notifyUrl must be an absolute http(s) URL.";
                    return false;
                }
            }
            string? metadata = null;
            if (root.TryGetProperty("metadata", out var metadataElement) && metadataElement.ValueKind != JsonValueKind.Null)
            {
                if (!TryReadMetadata(metadataElement, out metadata, out error))
                {
                    return false;
                }
            }
            string? traceParent = null;
            if (root.TryGetProperty("traceparent", out var traceElement) && traceElement.ValueKind != JsonValueKind.Null)
            {
                if (traceElement.ValueKind != JsonValueKind.String || !TransactionTracing.IsTraceParent(traceElement.GetString()))
                {
                    error = "traceparent must be a W3C trace context: 00-<32 hex digits>-<16 hex digits>-<2 hex digits>.";
                    return false;
                }
                traceParent = traceElement.GetString();
            }
            request = new TransactionRequest
            {
                TraceParent = traceParent,
                TradeNo = tradeNo,
                Amount = amount,
                Mobile = mobile,
                Remark = string.IsNullOrEmpty(remark) ? null : remark,
                NotifyUrl = notifyUrl,
                MetadataJson = metadata,
            };
            error = null;
            return true;
        }
    }

    private static bool TryReadAmount(JsonElement root, out long amount, out string? error)
    {
        amount = 0;
        if (!root.TryGetProperty("amount", out var element))
        {
            error = "amount is required: whole shillings, for example 1500.";
            return false;
        }
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                // The raw token must be digits only: 1500.0 or 1.5e3 are refused rather than rounded.
                return PayproValidation.TryParseAmount(element.GetRawText(), out amount, out error);
            case JsonValueKind.String:
                return PayproValidation.TryParseAmount(element.GetString(), out amount, out error);
            default:
                error = "amount must be a number or a string of digits (whole shillings).";
                return false;
        }
    }

    private static bool TryReadMetadata(JsonElement element, out string? json, out string? error)
    {
        json = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = "metadata must be a JSON object of strings, for example {\"correlationId\":\"abc\"}.";
            return false;
        }
        var buffer = new ArrayBufferWriter<byte>();
        var count = 0;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String || !seen.Add(property.Name))
                {
                    error = $"metadata.{Clip(property.Name)} must be a string and appear once.";
                    return false;
                }
                if (++count > MaxMetadataEntries)
                {
                    error = $"metadata may hold at most {MaxMetadataEntries} entries.";
                    return false;
                }
                writer.WriteString(property.Name, property.Value.GetString());
            }
            writer.WriteEndObject();
        }
        if (buffer.WrittenCount > MaxMetadataJsonLength)
        {
            error = $"metadata is larger than {MaxMetadataJsonLength} bytes.";
            return false;
        }
        json = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        error = null;
        return true;
    }

    private static string Clip(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
