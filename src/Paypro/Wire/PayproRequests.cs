using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Paypro.Wire;

/// <summary>
/// A request body. Every value is a JSON string and unset fields are left out: Paypro's sample code
/// signs a null as the text <c>null</c>, and a number would be signed as Paypro's parser re-prints it.
/// </summary>
internal abstract class PayproRequest
{
    [JsonPropertyName("sign")]
    [JsonPropertyOrder(1)]
    public string? Sign { get; set; }

    /// <summary>
    /// The body to send, signed over the fields as serialized: the sign covers exactly the characters
    /// Paypro will read, whatever the serializer did to them.
    /// </summary>
    public static byte[] ToSignedJson<T>(T request, JsonTypeInfo<T> typeInfo, string secret, SaltPosition saltPosition)
        where T : PayproRequest
    {
        request.Sign = null;
        var unsigned = JsonSerializer.SerializeToUtf8Bytes(request, typeInfo);
        request.Sign = PayproSignature.Compute(PayproFields.Parse(unsigned).AsPairs(), secret, saltPosition);
        return JsonSerializer.SerializeToUtf8Bytes(request, typeInfo);
    }
}

/// <summary>
/// <c>/api/payout</c> and <c>/api/payin</c>: the same fields, for a payment to or from an M-Pesa wallet (a payout may
/// leave out its notifyUrl).
/// </summary>
internal sealed class MobileRequest : PayproRequest
{
    [JsonPropertyName("amount")] public required string Amount { get; init; }
    [JsonPropertyName("mobile")] public required string Mobile { get; init; }
    [JsonPropertyName("notifyUrl")] public string? NotifyUrl { get; init; }
    [JsonPropertyName("remark")] public string? Remark { get; init; }
    [JsonPropertyName("timestamp")] public required string Timestamp { get; init; }
    [JsonPropertyName("tradeNo")] public required string TradeNo { get; init; }
}

/// <summary><c>/api/payinConsole</c>.</summary>
internal sealed class CheckoutRequest : PayproRequest
{
    [JsonPropertyName("amount")] public required string Amount { get; init; }
    [JsonPropertyName("notifyUrl")] public required string NotifyUrl { get; init; }
    [JsonPropertyName("remark")] public string? Remark { get; init; }
    [JsonPropertyName("timestamp")] public required string Timestamp { get; init; }
    [JsonPropertyName("tradeNo")] public required string TradeNo { get; init; }
}

/// <summary>
/// <c>/api/queryPayOutResult</c> and <c>/api/queryPayinResult</c>. Paypro lists no timestamp for these,
/// so none is sent and the signed string is <c>tradeNo=…</c> plus the secret.
/// </summary>
internal sealed class TradeNoQueryRequest : PayproRequest
{
    [JsonPropertyName("tradeNo")] public required string TradeNo { get; init; }
}

/// <summary><c>/api/queryResultByCode</c>.</summary>
internal sealed class MpesaCodeQueryRequest : PayproRequest
{
    [JsonPropertyName("code")] public required string Code { get; init; }
    [JsonPropertyName("timestamp")] public required string Timestamp { get; init; }
}

/// <summary>The balance call (path configurable; unpublished for Kenya).</summary>
internal sealed class BalanceRequest : PayproRequest
{
    [JsonPropertyName("timestamp")] public required string Timestamp { get; init; }
}
