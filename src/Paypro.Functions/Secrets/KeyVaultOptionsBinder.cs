using System.Globalization;

namespace Paypro.Functions.Secrets;

/// <summary>
/// Reads section <c>KeyVault</c> by hand, so that a value that
/// does not parse becomes a start-up error naming the setting instead of an exception from deep
/// inside the binder.
/// </summary>
internal static class KeyVaultOptionsBinder
{
    public static void Bind(IConfiguration configuration, KeyVaultOptions options)
    {
        var section = configuration.GetSection(KeyVaultOptions.SectionName);

        var vaultUri = section[nameof(KeyVaultOptions.VaultUri)];
        if (!string.IsNullOrWhiteSpace(vaultUri))
        {
            if (Uri.TryCreate(vaultUri.Trim(), UriKind.Absolute, out var uri))
            {
                options.VaultUri = uri;
            }
            else
            {
                options.BindingErrors.Add(
                    $"KeyVault:VaultUri must be an absolute https URI such as https://my-vault.vault.azure.net/; got '{vaultUri}'.");
            }
        }

        var secretName = section[nameof(KeyVaultOptions.SecretName)];
        if (!string.IsNullOrWhiteSpace(secretName))
        {
            options.SecretName = secretName.Trim();
        }

        options.RefreshInterval = ReadTimeSpan(section, nameof(KeyVaultOptions.RefreshInterval), options.RefreshInterval, options);
        options.MissRefreshInterval = ReadTimeSpan(
            section,
            nameof(KeyVaultOptions.MissRefreshInterval),
            options.MissRefreshInterval,
            options);
        options.PreviousSecretWindow = ReadTimeSpan(
            section,
            nameof(KeyVaultOptions.PreviousSecretWindow),
            options.PreviousSecretWindow,
            options);
    }

    private static TimeSpan ReadTimeSpan(IConfigurationSection section, string key, TimeSpan current, KeyVaultOptions options)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return current;
        }

        if (TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        options.BindingErrors.Add(
            $"KeyVault:{key} must be a time span written as [d.]hh:mm:ss, for example 00:05:00 or 1.00:00:00; got '{text}'.");
        return current;
    }
}
