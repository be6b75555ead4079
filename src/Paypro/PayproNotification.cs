using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Paypro;

/// <summary>
/// A verified Paypro notify callback: only <see cref="PayproNotifyVerifier.Verify"/> makes one. Paypro's signed string
/// joins <c>key=value</c> pairs with no separator, so two differently split bodies can share one signature:
/// every known field must therefore have its exact shape before the body is trusted. Unknown fields are
/// listed, never interpreted.
/// </summary>
public sealed partial class PayproNotification
{
    private static readonly string[] KnownFields =
        ["platFormTradeNo", "tradeNo", "amount", "status", "message", "successTime", "timestamp", PayproSignature.SignField];

    private PayproNotification()
    {
    }

    /// <summary>The merchant's tradeNo.</summary>
    public string TradeNo { get; private init; } = "";

    /// <summary>Paypro's transaction id.</summary>
    public string? PlatFormTradeNo { get; private init; }

    public decimal Amount { get; private init; }

    /// <summary>The amount exactly as received (<c>3.0000</c> stays <c>3.0000</c>).</summary>
    public string AmountText { get; private init; } = "";

    /// <summary>The transaction status: <c>0000</c> success, <c>0015</c> processing, anything else failure.</summary>
    public string Status { get; private init; } = "";

    public string? Message { get; private init; }

    /// <summary><c>successTime</c> converted from Kenya time to UTC; a failed transaction may carry one too.</summary>
    public DateTimeOffset? SuccessTimeUtc { get; private init; }

    /// <summary>The <c>timestamp</c> field as received, when present.</summary>
    public string? Timestamp { get; private init; }

    /// <summary>Names of fields Paypro's documentation does not list; kept for the audit, never acted on.</summary>
    public IReadOnlyList<string> UnknownFields { get; private init; } = [];

    public PayproStatusKind Kind => PayproStatus.Classify(Status);

    [GeneratedRegex(@"^[0-9]{1,8}\z", RegexOptions.CultureInvariant)]
    private static partial Regex StatusShape();

    [GeneratedRegex(@"^[0-9]{1,18}(\.[0-9]{1,10})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex AmountShape();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlatFormTradeNoShape();

    /// <summary>
    /// Reads a notify body's fields; <see cref="PayproNotifyVerifier.Verify"/> calls it once the sign matched, so an
    /// unverified body never becomes a notification.
    /// </summary>
    /// <exception cref="PayproFormatException">A field is missing or does not have its documented shape; the message names it.</exception>
    internal static PayproNotification FromFields(PayproFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);

        var tradeNo = RequiredString(fields, "tradeNo");
        if (!PayproValidation.TryValidateTradeNo(tradeNo, out var tradeNoError))
        {
            throw Invalid("tradeNo", tradeNoError!);
        }

        var status = RequiredString(fields, "status");
        if (!StatusShape().IsMatch(status))
        {
            throw Invalid("status", "it must be 1 to 8 digits, for example 0000.");
        }

        var amountText = fields["amount"];
        if (fields.KindOf("amount") is not (JsonValueKind.String or JsonValueKind.Number) || string.IsNullOrEmpty(amountText))
        {
            throw Invalid("amount", "it is required, as a number or a string.");
        }
        if (!AmountShape().IsMatch(amountText))
        {
            throw Invalid("amount", "it must be a plain decimal number such as 50 or 3.0000 (no sign, exponent or spaces).");
        }

        var platFormTradeNo = OptionalString(fields, "platFormTradeNo");
        if (platFormTradeNo is not null && !PlatFormTradeNoShape().IsMatch(platFormTradeNo))
        {
            throw Invalid("platFormTradeNo", "it must be 1 to 64 letters, digits, '-' or '_'.");
        }

        var successTimeText = OptionalString(fields, "successTime");
        DateTimeOffset? successTime = null;
        if (successTimeText is not null)
        {
            successTime = KenyaTime.TryParseToUtc(successTimeText, out var utc)
                ? utc
                : throw Invalid("successTime", $"it must be Kenya time written {KenyaTime.Pattern}.");
        }

        var timestamp = fields.KindOf("timestamp") switch
        {
            JsonValueKind.Undefined or JsonValueKind.Null => null,
            JsonValueKind.String or JsonValueKind.Number => NullIfEmpty(fields["timestamp"]),
            _ => throw Invalid("timestamp", "it must be a number or a string."),
        };

        var unknown = new List<string>();
        foreach (var field in fields)
        {
            if (Array.IndexOf(KnownFields, field.Name) < 0)
            {
                unknown.Add(field.Name);
            }
        }

        return new PayproNotification
        {
            TradeNo = tradeNo,
            PlatFormTradeNo = platFormTradeNo,
            Amount = decimal.Parse(amountText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture),
            AmountText = amountText,
            Status = status,
            Message = OptionalString(fields, "message"),
            SuccessTimeUtc = successTime,
            Timestamp = timestamp,
            UnknownFields = unknown,
        };
    }

    private static string RequiredString(PayproFields fields, string name)
    {
        var value = OptionalString(fields, name);
        return value ?? throw Invalid(name, "it is required.");
    }

    /// <summary>A string field's value; null when absent, null or empty. Any other JSON kind is refused.</summary>
    private static string? OptionalString(PayproFields fields, string name) => fields.KindOf(name) switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.String => NullIfEmpty(fields[name]),
        _ => throw Invalid(name, "it must be a JSON string."),
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static PayproFormatException Invalid(string field, string reason) =>
        new($"The notify field '{field}' is not valid: {reason}");
}
