using System.Globalization;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;

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
        return Fail(ValidateAll(options));
    }

    /// <summary>
    /// Completes what the binder read (<see cref="KeyVaultOptions"/>): a vault or a secret name left blank is unset, and the
    /// time spans are read here, because the binder's words for one it cannot read name the setting but not the form it
    /// takes. A time span that does not read stops start-up with every other failure of the section beside it.
    /// </summary>
    /// <exception cref="OptionsValidationException">A time span does not read.</exception>
    public void CompleteBinding(IConfiguration section, KeyVaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.VaultUri?.OriginalString))
        {
            options.VaultUri = null;
        }
        options.SecretName = OptionsRegistration.Text(options.SecretName) ?? KeyVaultOptions.DefaultSecretName;
        var unreadable = new List<string>();
        options.RefreshInterval = ReadTimeSpan(section, nameof(KeyVaultOptions.RefreshInterval), options.RefreshInterval, unreadable);
        options.MissRefreshInterval = ReadTimeSpan(
            section,
            nameof(KeyVaultOptions.MissRefreshInterval),
            options.MissRefreshInterval,
            unreadable);
        options.PreviousSecretWindow = ReadTimeSpan(
            section,
            nameof(KeyVaultOptions.PreviousSecretWindow),
            options.PreviousSecretWindow,
            unreadable);
        if (unreadable.Count > 0)
        {
            // The ones that did not read keep their defaults, which pass: the rest of the section is checked as usual.
            unreadable.AddRange(ValidateAll(options));
            throw new OptionsValidationException(Options.DefaultName, typeof(KeyVaultOptions), unreadable);
        }
    }

    private static TimeSpan ReadTimeSpan(IConfiguration section, string key, TimeSpan current, List<string> unreadable)
    {
        if (OptionsRegistration.Text(section[key]) is not { } text)
        {
            return current;
        }
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        unreadable.Add(
            $"KeyVault:{key} must be a time span written as [d.]hh:mm:ss, for example 00:05:00 or 1.00:00:00; got '{section[key]}'.");
        return current;
    }

    private List<string> ValidateAll(KeyVaultOptions options)
    {
        var failures = ValidateValues(options);
        if (options.VaultUri is null && string.IsNullOrWhiteSpace(configuration[AppSecretKey]))
        {
            failures.Add(
                "No Paypro app secret is configured. Set KeyVault:VaultUri (environment variable KeyVault__VaultUri) to the vault " +
                "that holds the secret, or, for local development only, set Paypro:AppSecret (environment variable Paypro__AppSecret).");
        }
        return failures;
    }

    private static ValidateOptionsResult Fail(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

    /// <summary>Checks the values themselves, whichever way the options were built.</summary>
    internal static List<string> ValidateValues(KeyVaultOptions options)
    {
        var failures = new List<string>();

        // The binder reads a vault that is not an absolute URI as a relative one: this names it, as it does an http one.
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
