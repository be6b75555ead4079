using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Paypro.Testing;

/// <summary>Notify callbacks as Paypro sends them: the fields, the JSON body, signed as Paypro signs it.</summary>
public static class NotifyBodies
{
    /// <summary>The platFormTradeNo of a callback when the caller gives none.</summary>
    public const string PlatFormTradeNo = "5286e98841194687a95d25b5f3be346d";

    private static readonly TimeSpan KenyaOffset = TimeSpan.FromHours(3);

    /// <summary>The fields of a callback, in Paypro's order.</summary>
    /// <param name="tradeNo">The merchant's tradeNo.</param>
    /// <param name="status">0000 success, 0015 processing, anything else a failure.</param>
    /// <param name="amount">The amount as Paypro writes it.</param>
    /// <param name="message">The status message; the one Paypro sends with <paramref name="status"/> by default.</param>
    /// <param name="at">
    /// When it succeeded and was sent (Kenyan time on the wire); fixed values by default, so a body is reproducible.
    /// </param>
    /// <param name="platFormTradeNo">Paypro's own number; <see cref="PlatFormTradeNo"/> by default.</param>
    public static List<KeyValuePair<string, string?>> Fields(
        string tradeNo,
        string status = "0000",
        string amount = "120",
        string? message = null,
        DateTimeOffset? at = null,
        string? platFormTradeNo = null) =>
    [
        new("platFormTradeNo", platFormTradeNo ?? PlatFormTradeNo),
        new("tradeNo", tradeNo),
        new("amount", amount),
        new("status", status),
        new("message", message ?? (status == "0000" ? "SUCCESS" : status == "0015" ? "PROCESSING" : "REJECTED_TRANSACTION")),
        new("successTime", at is { } time
            ? time.ToOffset(KenyaOffset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : "2026-11-24 12:00:00"),
        new("timestamp", at is { } sent ? sent.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : "1719830071094"),
    ];

    /// <summary>
    /// The sign Paypro computes over <paramref name="fields"/>; over <paramref name="rawAmount"/> as the amount when given.
    /// </summary>
    public static string Sign(
        IEnumerable<KeyValuePair<string, string?>> fields,
        string secret,
        SaltPosition saltPosition = SaltPosition.Append,
        string? rawAmount = null) =>
        PayproSignature.Compute(
            rawAmount is null
                ? fields
                : fields.Select(f => f.Key == "amount" ? new KeyValuePair<string, string?>("amount", rawAmount) : f),
            secret,
            saltPosition);

    /// <summary>
    /// The fields as a JSON object, with <paramref name="sign"/> last when given; the amount as the raw number
    /// token <paramref name="rawAmount"/> (<c>120.0000</c>, as Paypro writes it) when given, a string otherwise.
    /// </summary>
    public static string Json(IEnumerable<KeyValuePair<string, string?>> fields, string? sign, string? rawAmount = null)
    {
        var json = new StringBuilder("{");
        foreach (var (key, value) in fields)
        {
            json.Append(JsonSerializer.Serialize(key)).Append(':');
            json.Append(key == "amount" && rawAmount is not null ? rawAmount : JsonSerializer.Serialize(value));
            json.Append(',');
        }
        if (sign is not null)
        {
            json.Append("\"sign\":").Append(JsonSerializer.Serialize(sign)).Append(',');
        }
        json.Length--;
        return json.Append('}').ToString();
    }

    /// <summary>The JSON body of <paramref name="fields"/>, signed with <paramref name="secret"/>.</summary>
    public static string Signed(
        IEnumerable<KeyValuePair<string, string?>> fields,
        string secret,
        SaltPosition saltPosition = SaltPosition.Append,
        string? rawAmount = null)
    {
        var list = fields.ToList();
        return Json(list, Sign(list, secret, saltPosition, rawAmount), rawAmount);
    }
}
