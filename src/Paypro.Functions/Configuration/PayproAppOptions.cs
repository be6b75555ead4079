using Microsoft.Extensions.Options;

namespace Paypro.Functions.Configuration;

/// <summary>The app's own Paypro settings beside the client's (same section, <c>Paypro</c>).</summary>
public sealed class PayproAppOptions
{
    /// <summary>
    /// The URL Paypro calls back, function key included (<c>https://&lt;app&gt;/api/paypro/notify?code=&lt;key&gt;</c>).
    /// It holds the key, so in Azure it is a Key Vault reference. Required for payins; without it payouts
    /// are followed by polling only.
    /// </summary>
    public Uri? NotifyUrl { get; set; }
}

internal sealed class PayproAppOptionsValidator : IValidateOptions<PayproAppOptions>
{
    public ValidateOptionsResult Validate(string? name, PayproAppOptions options)
    {
        if (options.NotifyUrl is { } url && !PayproValidation.IsHttpUrl(url))
        {
            if (url.OriginalString.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
            {
                // The platform passes a Key Vault reference through unresolved when the secret is missing or unreadable.
                return ValidateOptionsResult.Fail(
                    "Paypro:NotifyUrl is a Key Vault reference that did not resolve: store the secret it names (paypro-notify-url) " +
                    "and give the app's identity Key Vault Secrets User on the vault.");
            }
            return ValidateOptionsResult.Fail(
                "Paypro:NotifyUrl must be an absolute http(s) URL, for example " +
                "https://<app>.azurewebsites.net/api/paypro/notify?code=<function key>.");
        }
        return ValidateOptionsResult.Success;
    }
}
