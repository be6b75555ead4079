using System.Globalization;
using System.Text.RegularExpressions;

namespace Paypro;

/// <summary>
/// Checks applied before anything is sent to Paypro. Every message says which field is wrong and
/// what is expected; none quotes a full mobile number.
/// </summary>
public static partial class PayproValidation
{
    /// <summary>Longest tradeNo accepted. Paypro publishes no limit; Table Storage keys allow 1 KiB.</summary>
    public const int MaxTradeNoLength = 64;

    /// <summary>Paypro's advice: amounts above KES 50.</summary>
    public const long DefaultMinAmount = 50;

    /// <summary>The M-Pesa per-transaction ceiling.</summary>
    public const long DefaultMaxAmount = 250_000;

    /// <summary>Longest remark accepted. Paypro publishes no limit; this keeps records and signed strings small.</summary>
    public const int MaxRemarkLength = 128;

    /// <summary>True for an absolute http or https URL: what Paypro can post a notify to, and what a base URL must be.</summary>
    public static bool IsHttpUrl(Uri? url) =>
        url is { IsAbsoluteUri: true } && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp);

    /// <summary>Parses <paramref name="text"/> as a notify URL: an absolute http or https URL.</summary>
    public static bool TryParseNotifyUrl(string? text, out Uri? url)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var parsed) && IsHttpUrl(parsed))
        {
            url = parsed;
            return true;
        }
        url = null;
        return false;
    }

    /// <summary>
    /// The remark rule, for the client and the queue message alike: at most <see cref="MaxRemarkLength"/>
    /// characters, valid Unicode (a lone surrogate cannot be signed faithfully), no control characters.
    /// </summary>
    public static bool TryValidateRemark(string? remark, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(remark))
        {
            return true;
        }
        if (remark.Length > MaxRemarkLength)
        {
            error = $"remark may be at most {MaxRemarkLength} characters.";
            return false;
        }
        var rest = remark.AsSpan();
        while (!rest.IsEmpty)
        {
            if (System.Text.Rune.DecodeFromUtf16(rest, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                error = "remark is not valid Unicode text (a lone surrogate); it could not be signed faithfully.";
                return false;
            }
            if (System.Text.Rune.IsControl(rune))
            {
                error = "remark may not contain control characters such as line breaks or tabs.";
                return false;
            }
            rest = rest[consumed..];
        }
        return true;
    }

    /// <summary>The merchantNo rule: exactly 10 digits, the merchant id Paypro issued.</summary>
    public static bool IsMerchantNo(string? merchantNo) =>
        merchantNo is { Length: 10 } && merchantNo.All(char.IsAsciiDigit);

    // \z, not $: in .NET, $ also matches before a trailing newline, so "T1\n" would pass as a tradeNo.
    [GeneratedRegex(@"^254[17]\d{8}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PayproMobile();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex TradeNoShape();

    [GeneratedRegex(@"^[A-Z0-9]{10}\z", RegexOptions.CultureInvariant)]
    private static partial Regex MpesaCodeShape();

    /// <summary>
    /// Normalises a Kenyan mobile number to Paypro's form <c>254</c> + 9 digits (<c>2547…</c> or
    /// <c>2541…</c>). Accepts <c>07XXXXXXXX</c>, <c>01XXXXXXXX</c>, <c>+2547…</c>, <c>2547…</c>, and
    /// spaces or dashes between digit groups.
    /// </summary>
    public static bool TryNormalizeMobile(string? input, out string normalized, out string? error)
    {
        normalized = "";
        if (string.IsNullOrWhiteSpace(input))
        {
            error = "mobile is required.";
            return false;
        }
        Span<char> digits = stackalloc char[16];
        var count = 0;
        var text = input.Trim();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '+' && i == 0)
            {
                continue;
            }
            if (c is ' ' or '-')
            {
                continue;
            }
            if (!char.IsAsciiDigit(c))
            {
                error = "mobile may hold only digits, an optional leading '+', spaces and dashes.";
                return false;
            }
            if (count == digits.Length)
            {
                error = "mobile is too long: expected 254 followed by 9 digits (for example 2547XXXXXXXX).";
                return false;
            }
            digits[count++] = c;
        }
        string candidate;
        if (count == 10 && digits[0] == '0')
        {
            candidate = string.Concat("254", digits.Slice(1, 9));
        }
        else if (count == 9 && digits[0] is '7' or '1')
        {
            candidate = string.Concat("254", digits.Slice(0, 9));
        }
        else
        {
            candidate = new string(digits[..count]);
        }
        if (candidate.Length != 12)
        {
            error = $"mobile has {count} digits: expected 254 followed by 9 digits (2547XXXXXXXX or 2541XXXXXXXX), " +
                "or the local form 07XXXXXXXX / 01XXXXXXXX.";
            return false;
        }
        if (!candidate.StartsWith("254", StringComparison.Ordinal))
        {
            error = "mobile must be a Kenyan number: country code 254.";
            return false;
        }
        if (!PayproMobile().IsMatch(candidate))
        {
            error = "mobile must be an M-Pesa number: 2547XXXXXXXX or 2541XXXXXXXX.";
            return false;
        }
        normalized = candidate;
        error = null;
        return true;
    }

    /// <summary>Normalises a mobile number or throws <see cref="PayproValidationException"/>.</summary>
    public static string NormalizeMobile(string? input) =>
        TryNormalizeMobile(input, out var normalized, out var error) ? normalized : throw new PayproValidationException("mobile", error!);

    /// <summary>Masks a mobile number for logs: the country code and the last 3 digits stay (<c>254*******678</c>).</summary>
    public static string MaskMobile(string? mobile)
    {
        if (string.IsNullOrEmpty(mobile))
        {
            return "";
        }
        if (mobile.Length <= 6)
        {
            return new string('*', mobile.Length);
        }
        return string.Concat(mobile.AsSpan(0, 3), new string('*', mobile.Length - 6), mobile.AsSpan(mobile.Length - 3));
    }

    /// <summary>Checks a whole-shilling amount against the bounds.</summary>
    public static bool TryValidateAmount(long amount, long minAmount, long maxAmount, out string? error)
    {
        if (amount < minAmount)
        {
            error = $"amount {amount} is below the minimum of KES {minAmount}.";
            return false;
        }
        if (amount > maxAmount)
        {
            error = $"amount {amount} is above the maximum of KES {maxAmount}.";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Checks a whole-shilling amount or throws <see cref="PayproValidationException"/>.</summary>
    public static void ValidateAmount(long amount, long minAmount = DefaultMinAmount, long maxAmount = DefaultMaxAmount)
    {
        if (!TryValidateAmount(amount, minAmount, maxAmount, out var error))
        {
            throw new PayproValidationException("amount", error!);
        }
    }

    /// <summary>
    /// Parses an amount written as text: whole shillings only (Paypro does not support decimals), so
    /// <c>50</c> is accepted and <c>50.5</c>, <c>50.00</c>, <c>-5</c> or <c>5e2</c> are not.
    /// </summary>
    public static bool TryParseAmount(string? text, out long amount, out string? error)
    {
        amount = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "amount is required.";
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                error = "amount must be a whole number of shillings written with digits only (Paypro does not support decimals).";
                return false;
            }
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out amount))
        {
            error = "amount is too large.";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>
    /// A tradeNo is the merchant's idempotency key: letters, digits, <c>-</c> and <c>_</c>, starting
    /// with a letter or digit, at most <see cref="MaxTradeNoLength"/> characters.
    /// </summary>
    public static bool TryValidateTradeNo(string? tradeNo, out string? error)
    {
        if (string.IsNullOrEmpty(tradeNo))
        {
            error = "tradeNo is required: it is the idempotency key of the transaction.";
            return false;
        }
        if (tradeNo.Length > MaxTradeNoLength)
        {
            error = $"tradeNo is {tradeNo.Length} characters long; at most {MaxTradeNoLength} are allowed.";
            return false;
        }
        if (!TradeNoShape().IsMatch(tradeNo))
        {
            error = "tradeNo may hold only letters, digits, '-' and '_', and must start with a letter or digit.";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Checks a tradeNo or throws <see cref="PayproValidationException"/>.</summary>
    public static void ValidateTradeNo(string? tradeNo)
    {
        if (!TryValidateTradeNo(tradeNo, out var error))
        {
            throw new PayproValidationException("tradeNo", error!);
        }
    }

    /// <summary>An M-Pesa receipt code: 10 upper-case letters or digits (for example <c>SHL2A6WAQU</c>).</summary>
    public static bool TryValidateMpesaCode(string? code, out string? error)
    {
        if (string.IsNullOrEmpty(code) || !MpesaCodeShape().IsMatch(code))
        {
            error = "code must be an M-Pesa receipt code: 10 upper-case letters or digits, for example SHL2A6WAQU.";
            return false;
        }
        error = null;
        return true;
    }
}
