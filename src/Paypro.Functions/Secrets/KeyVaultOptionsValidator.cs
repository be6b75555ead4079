using Microsoft.Extensions.Options;

namespace Paypro.Functions.Secrets;

/// <summary>
/// Stops the app at start-up when the secret settings are wrong, with a message naming each
/// wrong setting, and when no secret source is configured at all.
/// </summary>
internal sealed class KeyVaultOptionsValidator(IConfiguration configuration) : IValidateOptions<KeyVaultOptions>
{
    public const string AppSecretKey = "Paypro:AppSecret";

    // Caps the intervals so that adding them to a clock reading can never overflow, and because a
    // secret cached for more than a month is no longer "refreshed on a schedule".
    internal static readonly TimeSpan MaxInterval = TimeSpan.FromDays(30);

    public ValidateOptionsResult Validate(string? name, KeyVaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>(options.BindingErrors);
        failures.AddRange(ValidateValues(options));

        if (options.VaultUri is null && !options.BindingErrors.Exists(e => e.StartsWith("KeyVault:VaultUri", StringComparison.Ordinal))
            && string.IsNullOrWhiteSpace(configuration[AppSecretKey]))
        {
            failures.Add(
                "No Paypro app secret is configured. Set KeyVault:VaultUri (environment variable KeyVault__VaultUri) to the vault " +
                "that holds the secret, or, for local development only, set Paypro:AppSecret (environment variable Paypro__AppSecret).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Checks the values themselves, whichever way the options were built.</summary>
    internal static List<string> ValidateValues(KeyVaultOptions options)
    {
        var failures = new List<string>();

        if (options.VaultUri is { } uri && (!uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add(
                $"KeyVault:VaultUri must be an absolute https URI such as https://my-vault.vault.azure.net/; got '{uri.OriginalString}'.");
        }

        if (!IsSecretName(options.SecretName))
        {
            failures.Add(
                $"KeyVault:SecretName must be 1 to 127 letters, digits or dashes (a Key Vault secret name); got '{options.SecretName}'.");
        }

        CheckInterval(failures, nameof(KeyVaultOptions.RefreshInterval), options.RefreshInterval, allowZero: false);
        CheckInterval(failures, nameof(KeyVaultOptions.MissRefreshInterval), options.MissRefreshInterval, allowZero: false);
        CheckInterval(failures, nameof(KeyVaultOptions.PreviousSecretWindow), options.PreviousSecretWindow, allowZero: true);
        return failures;
    }

    private static void CheckInterval(List<string> failures, string key, TimeSpan value, bool allowZero)
    {
        if (value < TimeSpan.Zero || (value == TimeSpan.Zero && !allowZero) || value > MaxInterval)
        {
            var range = allowZero ? "zero or a positive time span" : "a positive time span";
            failures.Add($"KeyVault:{key} must be {range} of at most 30.00:00:00; got '{value}'.");
        }
    }

    private static bool IsSecretName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 127)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }
}
