using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Paypro.Wire;

[JsonSerializable(typeof(MobileRequest))]
[JsonSerializable(typeof(CheckoutRequest))]
[JsonSerializable(typeof(TradeNoQueryRequest))]
[JsonSerializable(typeof(MpesaCodeQueryRequest))]
[JsonSerializable(typeof(BalanceRequest))]
[JsonSerializable(typeof(PayproEnvelope))]
[JsonSerializable(typeof(CreateData))]
[JsonSerializable(typeof(TransactionData))]
[JsonSerializable(typeof(BalanceData))]
internal sealed partial class PayproJsonContext : JsonSerializerContext
{
    /// <summary>The context every Paypro body is written and read with.</summary>
    public static PayproJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Paypro's own field names mix cases (platFormTradeNo); an answer spelled platformTradeNo still counts.
        PropertyNameCaseInsensitive = true,
        // Answers are not signed, but a repeated key would still make two readers see two answers.
        AllowDuplicateProperties = false,
        // The body goes to an API, never into HTML: non-ASCII remarks and '&' in notify URLs are sent as
        // themselves rather than as \u escapes, so the bytes on the wire read like the signed string.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
