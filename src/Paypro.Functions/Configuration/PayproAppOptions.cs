using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Configuration;

/// <summary>
/// The app's own setting in the <c>Paypro</c> section, beside the client library's (<see cref="PayproClientOptions"/>). The
/// section is the client's; the app reads this one key of it because its name, <c>Paypro__NotifyUrl</c>, is part of every
/// deployment (the Bicep sets it as a Key Vault reference), and the client ignores the keys it does not know.
/// </summary>
public sealed class PayproAppOptions : IValidatableObject
{
    public const string SectionName = PayproClientOptions.SectionName;

    /// <summary>
    /// The URL Paypro calls back, function key included (<c>https://&lt;app&gt;/api/paypro/notify?code=&lt;key&gt;</c>).
    /// It holds the key, so in Azure it is a Key Vault reference. Required for payins; without it payouts
    /// are followed by polling only.
    /// </summary>
    public Uri? NotifyUrl { get; set; }

    /// <summary>Checked by hand: an unresolved Key Vault reference gets a message of its own, which no annotation can give.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (NotifyUrl is { } url && !PayproValidation.IsHttpUrl(url))
        {
            if (url.OriginalString.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
            {
                // The platform passes a Key Vault reference through unresolved when the secret is missing or unreadable.
                yield return new ValidationResult(
                    "Paypro:NotifyUrl is a Key Vault reference that did not resolve: store the secret it names (paypro-notify-url) " +
                    "and give the app's identity Key Vault Secrets User on the vault.");
            }
            else
            {
                yield return new ValidationResult(
                    "Paypro:NotifyUrl must be an absolute http(s) URL, for example " +
                    "https://<app>.azurewebsites.net/api/paypro/notify?code=<function key>.");
            }
        }
    }
}

[OptionsValidator]
internal sealed partial class PayproAppOptionsValidator : IValidateOptions<PayproAppOptions>;
