using System.Text.Json;
using System.Text.Json.Serialization;

namespace Paypro.Wire;

/// <summary>
/// The envelope of every answer. <c>code</c> <c>0000</c> only means the request was accepted; the
/// business result is in <c>data</c>, which is read separately because its shape depends on the call
/// and Paypro may send no object at all when it refuses a request.
/// </summary>
internal sealed class PayproEnvelope
{
    [JsonPropertyName("msg"), JsonConverter(typeof(LenientStringConverter))]
    public string? Msg { get; set; }

    // Deliberately strict: a code must be a string, since "0000" cannot survive as a number.
    [JsonPropertyName("code")]
    public string? Code { get; set; }

    [JsonPropertyName("timestamp"), JsonConverter(typeof(LenientStringConverter))]
    public string? Timestamp { get; set; }

    [JsonPropertyName("success"), JsonConverter(typeof(LenientBooleanConverter))]
    public bool? Success { get; set; }

    [JsonPropertyName("data")]
    public JsonElement? Data { get; set; }
}

/// <summary><c>data</c> of a payout, payin or checkout answer.</summary>
internal sealed class CreateData
{
    [JsonPropertyName("serialNumber"), JsonConverter(typeof(LenientStringConverter))]
    public string? SerialNumber { get; set; }

    [JsonPropertyName("status")]
    public string? Status { get; set; }

    [JsonPropertyName("message"), JsonConverter(typeof(LenientStringConverter))]
    public string? Message { get; set; }

    // Paypro does not publish the name of the checkout page's URL field for Kenya; Indonesia's is
    // paymentUrl. The other names are accepted so a renamed field does not lose the page.
    [JsonPropertyName("paymentUrl")]
    public string? PaymentUrl { get; set; }

    [JsonPropertyName("checkoutUrl")]
    public string? CheckoutUrl { get; set; }

    [JsonPropertyName("payUrl")]
    public string? PayUrl { get; set; }

    [JsonPropertyName("url")]
    public string? Url { get; set; }
}

/// <summary><c>data</c> of a status query or M-Pesa code lookup.</summary>
internal sealed class TransactionData
{
    [JsonPropertyName("platFormTradeNo"), JsonConverter(typeof(LenientStringConverter))]
    public string? PlatFormTradeNo { get; set; }

    [JsonPropertyName("tradeNo"), JsonConverter(typeof(LenientStringConverter))]
    public string? TradeNo { get; set; }

    [JsonPropertyName("amount"), JsonConverter(typeof(LenientStringConverter))]
    public string? Amount { get; set; }

    // Strict for the same reason as the envelope's code: a numeric status would lose its leading zeros.
    [JsonPropertyName("status")]
    public string? Status { get; set; }

    [JsonPropertyName("message"), JsonConverter(typeof(LenientStringConverter))]
    public string? Message { get; set; }

    [JsonPropertyName("successTime")]
    public string? SuccessTime { get; set; }

    [JsonPropertyName("mpesaReceiptNumber"), JsonConverter(typeof(LenientStringConverter))]
    public string? MpesaReceiptNumber { get; set; }
}

/// <summary><c>data</c> of a balance answer (field names from Paypro's other countries).</summary>
internal sealed class BalanceData
{
    [JsonPropertyName("availableAmount"), JsonConverter(typeof(LenientStringConverter))]
    public string? AvailableAmount { get; set; }

    [JsonPropertyName("freezeAmount"), JsonConverter(typeof(LenientStringConverter))]
    public string? FreezeAmount { get; set; }

    [JsonPropertyName("unsettledAmount"), JsonConverter(typeof(LenientStringConverter))]
    public string? UnsettledAmount { get; set; }
}
