namespace Paypro;

/// <summary>Why a notify body did not verify.</summary>
public enum PayproNotifyFailure
{
    /// <summary>It verified: <see cref="PayproNotifyResult.Notification"/> is set.</summary>
    None,

    /// <summary>The body is not a flat JSON object of unique keys (or not UTF-8).</summary>
    Malformed,

    /// <summary>The body carries a <c>sign</c> that none of the secrets produces.</summary>
    Forged,

    /// <summary>
    /// The body has no <c>sign</c>. Its fields have their documented shapes (see <see cref="PayproNotifyResult.UnsignedClaim"/>).
    /// </summary>
    Unsigned,

    /// <summary>A known field is missing or has the wrong shape (signed or not); the reason names it.</summary>
    InvalidFields,
}

/// <summary>What an unsigned body claims. Not proof of anything: confirm it by querying Paypro before acting.</summary>
/// <param name="TradeNo">The merchant's tradeNo (it has the documented shape).</param>
/// <param name="Status">The status it claims.</param>
public sealed record PayproUnsignedClaim(string TradeNo, string Status);

/// <summary>The verdict on one notify body: a verified notification, or the reason it is not one.</summary>
public sealed class PayproNotifyResult
{
    internal PayproNotifyResult(
        PayproNotifyFailure failure,
        PayproNotification? notification,
        PayproFields? fields,
        string? reason,
        int secretIndex,
        PayproUnsignedClaim? claim)
    {
        Failure = failure;
        Notification = notification;
        Fields = fields;
        Reason = reason;
        SecretIndex = secretIndex;
        UnsignedClaim = claim;
    }

    /// <summary>True when the sign matched and every known field has its shape.</summary>
    public bool IsVerified => Failure == PayproNotifyFailure.None;

    public PayproNotifyFailure Failure { get; }

    /// <summary>The verified notification; null unless <see cref="IsVerified"/>.</summary>
    public PayproNotification? Notification { get; }

    /// <summary>The body's fields as received, <c>sign</c> included, whenever the body parsed (to keep for an audit).</summary>
    public PayproFields? Fields { get; }

    /// <summary>What is wrong, in words that say what to check; null when verified.</summary>
    public string? Reason { get; }

    /// <summary>Which of the secrets matched (0 is the first); -1 when none did.</summary>
    public int SecretIndex { get; }

    /// <summary>For <see cref="PayproNotifyFailure.Unsigned"/>: the tradeNo and status the body claims.</summary>
    public PayproUnsignedClaim? UnsignedClaim { get; }
}

/// <summary>
/// Paypro's notify callbacks, verified in one call, in the spirit of Stripe's <c>EventUtility.ConstructEvent</c>:
/// verify before trusting, and never half-parse.
/// </summary>
public static class PayproNotifyVerifier
{
    /// <summary>
    /// Verifies and reads a notify body in one call, in that order: parse the flat JSON (repeated keys refused),
    /// check the <c>sign</c> against each secret in constant time, then check every known field's shape (Paypro's
    /// signed string has no separators, so a verified body is still checked field by field). A body that fails
    /// any step never becomes a <see cref="PayproNotification"/>.
    /// </summary>
    /// <param name="utf8Body">The raw request body, exactly as received.</param>
    /// <param name="secrets">The app secrets to accept, current first; during a rotation, the previous one too.</param>
    /// <param name="saltPosition">Where the secret goes in the signed string (<see cref="PayproClientOptions.SaltPosition"/>).</param>
    public static PayproNotifyResult Verify(ReadOnlySpan<byte> utf8Body, IReadOnlyList<string> secrets, SaltPosition saltPosition)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        return TryParse(utf8Body, out var fields)
            ?? Check(fields!, fields!.Sign is null ? -1 : fields.MatchSignature(secrets, saltPosition));
    }

    /// <summary>
    /// <see cref="Verify"/> with the secrets read only when the body carries a <c>sign</c>, so that a malformed or
    /// unsigned body costs no read of a secret store.
    /// </summary>
    /// <param name="utf8Body">The raw request body, exactly as received.</param>
    /// <param name="secrets">Reads the app secrets to accept, current first (for example from a cache over Key Vault).</param>
    /// <param name="saltPosition">Where the secret goes in the signed string.</param>
    /// <param name="cancellationToken">Cancels the read of the secrets.</param>
    public static async ValueTask<PayproNotifyResult> VerifyAsync(
        ReadOnlyMemory<byte> utf8Body,
        Func<CancellationToken, ValueTask<IReadOnlyList<string>>> secrets,
        SaltPosition saltPosition,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (TryParse(utf8Body.Span, out var fields) is { } malformed)
        {
            return malformed;
        }
        return Check(
            fields!,
            fields!.Sign is null ? -1 : fields.MatchSignature(await secrets(cancellationToken).ConfigureAwait(false), saltPosition));
    }

    private static PayproNotifyResult? TryParse(ReadOnlySpan<byte> utf8Body, out PayproFields? fields)
    {
        try
        {
            fields = PayproFields.Parse(utf8Body);
            return null;
        }
        catch (PayproFormatException ex)
        {
            fields = null;
            return new PayproNotifyResult(PayproNotifyFailure.Malformed, null, null, ex.Message, -1, null);
        }
    }

    private static PayproNotifyResult Check(PayproFields fields, int secretIndex)
    {
        if (fields.Sign is not null && secretIndex < 0)
        {
            return new PayproNotifyResult(
                PayproNotifyFailure.Forged,
                null,
                fields,
                "The sign does not match the body under any of the secrets given: " +
                "make sure you are using the current app secret (and the previous one during a rotation) and the right salt position.",
                -1,
                null);
        }
        PayproNotification notification;
        try
        {
            // Paypro's signed string has no separators, so a verified body is still checked field by field.
            notification = PayproNotification.FromFields(fields);
        }
        catch (PayproFormatException ex)
        {
            return new PayproNotifyResult(PayproNotifyFailure.InvalidFields, null, fields, ex.Message, secretIndex, null);
        }
        return fields.Sign is null
            ? new PayproNotifyResult(
                PayproNotifyFailure.Unsigned,
                null,
                fields,
                "The body has no sign: confirm its result by querying Paypro before acting on it.",
                -1,
                new PayproUnsignedClaim(notification.TradeNo, notification.Status))
            : new PayproNotifyResult(PayproNotifyFailure.None, notification, fields, null, secretIndex, null);
    }
}
