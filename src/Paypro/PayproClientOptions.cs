namespace Paypro;

/// <summary>Settings of <see cref="PayproClient"/>, bound from the <c>Paypro</c> configuration section.</summary>
public sealed class PayproClientOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Paypro";

    /// <summary>
    /// Paypro's Kenya API root, absolute http(s). Paypro does not publish it for Kenya (other countries
    /// use a path prefix such as <c>https://host/ke-pay</c>), so there is no default. Endpoint paths such
    /// as <c>/api/payout</c> are appended to it, keeping any path prefix.
    /// </summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The merchant id Paypro issued: exactly 10 digits, sent as the <c>merchantNo</c> header.</summary>
    public string MerchantNo { get; set; } = "";

    /// <summary>Where the app secret goes in the signed string; Paypro's documentation leaves it open.</summary>
    public SaltPosition SaltPosition { get; set; } = SaltPosition.Append;

    /// <summary>How long one HTTP attempt may take. A create call that runs out of it has an unknown outcome.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a status query, M-Pesa lookup or balance call (0 to 10). Create calls are never retried.</summary>
    public int QueryMaxRetries { get; set; } = 3;

    /// <summary>
    /// Path of the balance call. Paypro publishes no balance endpoint for Kenya; <c>/api/balance</c> is
    /// what other countries use and is unverified for Kenya.
    /// </summary>
    public string BalancePath { get; set; } = "/api/balance";

    /// <summary>The smallest amount, in whole shillings, that a payout, payin or checkout may carry.</summary>
    public long MinAmount { get; set; } = PayproValidation.DefaultMinAmount;

    /// <summary>The largest amount, in whole shillings, that a payout, payin or checkout may carry.</summary>
    public long MaxAmount { get; set; } = PayproValidation.DefaultMaxAmount;
}
