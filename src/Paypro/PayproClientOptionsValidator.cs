using Microsoft.Extensions.Options;

namespace Paypro;

/// <summary>
/// Checks <see cref="PayproClientOptions"/> at start-up. Each message names the setting as it is
/// written in configuration (<c>Paypro:MerchantNo</c>; <c>Paypro__MerchantNo</c> as an environment variable).
/// </summary>
public sealed class PayproClientOptionsValidator : IValidateOptions<PayproClientOptions>
{
    public static readonly TimeSpan MinRequestTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromMinutes(5);
    public const int MaxQueryRetries = 10;

    private const string Prefix = PayproClientOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, PayproClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (options.BaseUrl is null)
        {
            failures.Add($"{Prefix}BaseUrl is required: the absolute http(s) URL of Paypro's Kenya API, or of the sandbox.");
        }
        else if (!PayproValidation.IsHttpUrl(options.BaseUrl))
        {
            failures.Add($"{Prefix}BaseUrl must be an absolute http or https URL, for example https://paypro.example/ke-pay.");
        }
        else if (options.BaseUrl.Query.Length > 0 || options.BaseUrl.Fragment.Length > 0)
        {
            failures.Add(
                $"{Prefix}BaseUrl must not have a query string or fragment: endpoint paths such as /api/payout are appended to it.");
        }
        else if (options.BaseUrl.Scheme != Uri.UriSchemeHttps && !options.BaseUrl.IsLoopback)
        {
            // Paypro's answers to create calls and queries carry no signature and are applied as they come: only TLS
            // keeps them from being forged on the way. Plain http is for a sandbox on this machine.
            failures.Add($"{Prefix}BaseUrl must be an https URL (plain http only for a loopback address " +
                "such as http://127.0.0.1:5080, the sandbox): " +
                "Paypro's answers are not signed, so only TLS protects them.");
        }

        if (!PayproValidation.IsMerchantNo(options.MerchantNo))
        {
            failures.Add($"{Prefix}MerchantNo must be exactly 10 digits (the merchant id Paypro issued).");
        }

        if (!Enum.IsDefined(options.SaltPosition))
        {
            failures.Add($"{Prefix}SaltPosition must be Append or Prepend.");
        }

        if (options.RequestTimeout < MinRequestTimeout || options.RequestTimeout > MaxRequestTimeout)
        {
            failures.Add(
                $"{Prefix}RequestTimeout must be between {MinRequestTimeout:c} and {MaxRequestTimeout:c} (it applies to each attempt).");
        }

        if (options.QueryMaxRetries is < 0 or > MaxQueryRetries)
        {
            failures.Add($"{Prefix}QueryMaxRetries must be between 0 and {MaxQueryRetries}.");
        }

        if (!IsPath(options.BalancePath))
        {
            failures.Add(
                $"{Prefix}BalancePath must be a path starting with '/', without query string or spaces, for example /api/balance.");
        }

        if (options.MinAmount < 1)
        {
            failures.Add($"{Prefix}MinAmount must be at least 1 (whole shillings).");
        }
        if (options.MaxAmount < options.MinAmount)
        {
            failures.Add($"{Prefix}MaxAmount must be at least {Prefix}MinAmount ({options.MinAmount}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsPath(string? path) =>
        path is { Length: > 1 }
        && path[0] == '/'
        && path[1] != '/'
        && !path.Any(c => c is '?' or '#' or '\\' || char.IsWhiteSpace(c) || char.IsControl(c))
        && Uri.IsWellFormedUriString(path, UriKind.Relative);
}
