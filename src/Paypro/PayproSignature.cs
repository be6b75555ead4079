using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Paypro;

/// <summary>
/// Paypro's signing rule: every field except <c>sign</c>, fields with an empty value skipped, keys
/// sorted ordinally (case-sensitive), <c>key=value</c> concatenated with no separator, the app secret
/// appended (or prepended), MD5 over the UTF-8 bytes, lowercase hex.
/// </summary>
public static class PayproSignature
{
    /// <summary>The name of the signature field, which is never part of the signed string.</summary>
    public const string SignField = "sign";

    // Refuses to encode lone surrogates instead of silently signing U+FFFD: a string we cannot
    // encode faithfully must not get a signature that Paypro would compute differently.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The canonical string (without the secret) for the given fields.</summary>
    public static string Canonicalize(IEnumerable<KeyValuePair<string, string?>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var builder = new StringBuilder();
        foreach (var (key, value) in Ordered(fields))
        {
            builder.Append(key).Append('=').Append(value);
        }
        return builder.ToString();
    }

    /// <summary>Computes the lowercase hex MD5 signature of <paramref name="fields"/> with <paramref name="secret"/>.</summary>
    /// <exception cref="ArgumentException">A field name or value is not valid UTF-16 text, or the secret is empty.</exception>
    public static string Compute(
        IEnumerable<KeyValuePair<string, string?>> fields,
        string secret,
        SaltPosition saltPosition = SaltPosition.Append)
    {
        Span<byte> hash = stackalloc byte[MD5.HashSizeInBytes];
        ComputeHash(Ordered(fields), secret, saltPosition, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// True when <paramref name="sign"/> is the signature of <paramref name="fields"/> under
    /// <paramref name="secret"/>. The comparison takes the same time wherever the first difference is.
    /// </summary>
    public static bool Matches(
        IEnumerable<KeyValuePair<string, string?>> fields,
        string? sign,
        string secret,
        SaltPosition saltPosition = SaltPosition.Append)
    {
        Span<byte> expected = stackalloc byte[MD5.HashSizeInBytes];
        if (!TryDecodeSign(sign, expected))
        {
            return false;
        }
        Span<byte> actual = stackalloc byte[MD5.HashSizeInBytes];
        ComputeHash(Ordered(fields), secret, saltPosition, actual);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    /// <summary>
    /// Index of the first secret in <paramref name="secrets"/> under which <paramref name="sign"/> is
    /// valid, or -1. Several secrets are accepted at once so that a rotation does not drop callbacks
    /// signed just before Paypro switched.
    /// </summary>
    public static int MatchAny(
        IEnumerable<KeyValuePair<string, string?>> fields,
        string? sign,
        IReadOnlyList<string> secrets,
        SaltPosition saltPosition = SaltPosition.Append)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        Span<byte> expected = stackalloc byte[MD5.HashSizeInBytes];
        if (!TryDecodeSign(sign, expected))
        {
            return -1;
        }
        var ordered = Ordered(fields);
        Span<byte> actual = stackalloc byte[MD5.HashSizeInBytes];
        var match = -1;
        for (var i = 0; i < secrets.Count; i++)
        {
            ComputeHash(ordered, secrets[i], saltPosition, actual);
            // Every secret is tried even after a match, so timing does not tell which one matched.
            if (CryptographicOperations.FixedTimeEquals(expected, actual) && match < 0)
            {
                match = i;
            }
        }
        return match;
    }

    private static bool TryDecodeSign(string? sign, Span<byte> destination)
    {
        if (sign is null || sign.Length != MD5.HashSizeInBytes * 2)
        {
            return false;
        }
        // Paypro writes lowercase hex; an uppercase sign is not what the rule produces, so it is refused.
        foreach (var c in sign)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return Convert.FromHexString(sign, destination, out _, out var written) == OperationStatus.Done && written == destination.Length;
    }

    private static List<KeyValuePair<string, string>> Ordered(IEnumerable<KeyValuePair<string, string?>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var list = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in fields)
        {
            if (string.IsNullOrEmpty(key) || key == SignField || string.IsNullOrEmpty(value))
            {
                continue;
            }
            list.Add(new(key, value));
        }
        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    private static void ComputeHash(List<KeyValuePair<string, string>> ordered, string secret, SaltPosition saltPosition, Span<byte> hash)
    {
        if (string.IsNullOrEmpty(secret))
        {
            throw new ArgumentException("The Paypro app secret is empty; check the configured secret source.", nameof(secret));
        }
        var length = secret.Length;
        foreach (var (key, value) in ordered)
        {
            length += key.Length + 1 + value.Length;
        }
        var chars = ArrayPool<char>.Shared.Rent(length);
        var bytes = ArrayPool<byte>.Shared.Rent(StrictUtf8.GetMaxByteCount(length));
        try
        {
            var position = 0;
            if (saltPosition == SaltPosition.Prepend)
            {
                secret.CopyTo(chars.AsSpan(position));
                position += secret.Length;
            }
            foreach (var (key, value) in ordered)
            {
                key.CopyTo(chars.AsSpan(position));
                position += key.Length;
                chars[position++] = '=';
                value.CopyTo(chars.AsSpan(position));
                position += value.Length;
            }
            if (saltPosition != SaltPosition.Prepend)
            {
                secret.CopyTo(chars.AsSpan(position));
                position += secret.Length;
            }
            int byteCount;
            try
            {
                byteCount = StrictUtf8.GetBytes(chars, 0, position, bytes, 0);
            }
            catch (EncoderFallbackException)
            {
                // The exception text would quote the offending characters, which may include the secret.
                throw new ArgumentException(
                    "A field to sign is not valid Unicode text (a lone surrogate); it cannot be signed faithfully.");
            }
            MD5.HashData(bytes.AsSpan(0, byteCount), hash);
        }
        finally
        {
            chars.AsSpan(0, length).Clear();
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes, clearArray: true);
        }
    }
}
