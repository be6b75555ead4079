using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paypro.Functions.Secrets;

namespace Paypro.Functions.Tests.Secrets;

public sealed class KeyVaultOptionsTests
{
    [Fact]
    public void Defaults_match_the_documented_settings()
    {
        var options = Read(new() { ["Paypro:AppSecret"] = "local-only" });

        Assert.Null(options.VaultUri);
        Assert.Equal("paypro-app-secret", options.SecretName);
        Assert.Equal(TimeSpan.FromMinutes(5), options.RefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MissRefreshInterval);
        Assert.Equal(TimeSpan.FromDays(1), options.PreviousSecretWindow);
        Assert.Empty(Failures(new() { ["Paypro:AppSecret"] = "local-only" }));
    }

    [Fact]
    public void Every_setting_is_read_from_the_KeyVault_section()
    {
        var settings = new Dictionary<string, string?>
        {
            ["KeyVault:VaultUri"] = "https://contoso-paypro.vault.azure.net/",
            ["KeyVault:SecretName"] = "paypro-kenya-secret",
            ["KeyVault:RefreshInterval"] = "00:10:00",
            ["KeyVault:MissRefreshInterval"] = "00:01:00",
            ["KeyVault:PreviousSecretWindow"] = "2.00:00:00",
        };

        var options = Read(settings);

        Assert.Equal(new Uri("https://contoso-paypro.vault.azure.net/"), options.VaultUri);
        Assert.Equal("paypro-kenya-secret", options.SecretName);
        Assert.Equal(TimeSpan.FromMinutes(10), options.RefreshInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), options.MissRefreshInterval);
        Assert.Equal(TimeSpan.FromDays(2), options.PreviousSecretWindow);
        Assert.Empty(Failures(settings));
    }

    [Theory]
    [InlineData(
        "KeyVault:VaultUri",
        "http://contoso.vault.azure.net/",
        "KeyVault:VaultUri must be an absolute https URI such as https://my-vault.vault.azure.net/; "
            + "got 'http://contoso.vault.azure.net/'.")]
    [InlineData(
        "KeyVault:VaultUri",
        "contoso.vault.azure.net",
        "KeyVault:VaultUri must be an absolute https URI such as https://my-vault.vault.azure.net/; got 'contoso.vault.azure.net'.")]
    [InlineData(
        "KeyVault:SecretName",
        "paypro_app_secret",
        "KeyVault:SecretName must be 1 to 127 letters, digits or dashes (a Key Vault secret name); got 'paypro_app_secret'.")]
    [InlineData(
        "KeyVault:RefreshInterval",
        "five minutes",
        "KeyVault:RefreshInterval must be a time span written as [d.]hh:mm:ss, for example 00:05:00 or 1.00:00:00; "
            + "got 'five minutes'.")]
    [InlineData(
        "KeyVault:RefreshInterval",
        "00:00:00",
        "KeyVault:RefreshInterval must be a positive time span of at most 30.00:00:00; got '00:00:00'.")]
    [InlineData(
        "KeyVault:MissRefreshInterval",
        "-00:00:30",
        "KeyVault:MissRefreshInterval must be a positive time span of at most 30.00:00:00; got '-00:00:30'.")]
    [InlineData(
        "KeyVault:MissRefreshInterval",
        "31.00:00:00",
        "KeyVault:MissRefreshInterval must be a positive time span of at most 30.00:00:00; got '31.00:00:00'.")]
    [InlineData(
        "KeyVault:PreviousSecretWindow",
        "-1.00:00:00",
        "KeyVault:PreviousSecretWindow must be zero or a positive time span of at most 30.00:00:00; got '-1.00:00:00'.")]
    [InlineData(
        "KeyVault:PreviousSecretWindow",
        "1 day",
        "KeyVault:PreviousSecretWindow must be a time span written as [d.]hh:mm:ss, for example 00:05:00 or 1.00:00:00; "
            + "got '1 day'.")]
    public void A_wrong_setting_is_refused_with_a_message_naming_it(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["KeyVault:VaultUri"] = "https://contoso.vault.azure.net/", [key] = value };

        var failures = Failures(settings);

        Assert.Equal([expected], failures);
    }

    [Fact]
    public void A_time_span_that_does_not_read_is_reported_with_every_other_wrong_setting()
    {
        var settings = new Dictionary<string, string?>
        {
            ["KeyVault:RefreshInterval"] = "five minutes",
            ["KeyVault:SecretName"] = "paypro_app_secret",
        };

        Assert.Equal(
            [
                "KeyVault:RefreshInterval must be a time span written as [d.]hh:mm:ss, for example 00:05:00 or 1.00:00:00; "
                    + "got 'five minutes'.",
                "KeyVault:SecretName must be 1 to 127 letters, digits or dashes (a Key Vault secret name); got 'paypro_app_secret'.",
                "No Paypro app secret is configured. Set KeyVault:VaultUri (environment variable KeyVault__VaultUri) to the vault "
                    + "that holds the secret, or, for local development only, set Paypro:AppSecret (environment variable "
                    + "Paypro__AppSecret).",
            ],
            Failures(settings));
    }

    [Fact]
    public void Settings_left_blank_keep_their_defaults()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Paypro:AppSecret"] = "local-only",
            ["KeyVault:SecretName"] = " ",
            ["KeyVault:RefreshInterval"] = " ",
            ["KeyVault:MissRefreshInterval"] = "",
            ["KeyVault:PreviousSecretWindow"] = " ",
        };

        var options = Read(settings);

        Assert.Equal("paypro-app-secret", options.SecretName);
        Assert.Equal(TimeSpan.FromMinutes(5), options.RefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MissRefreshInterval);
        Assert.Equal(TimeSpan.FromDays(1), options.PreviousSecretWindow);
        Assert.Empty(Failures(settings));
    }

    [Fact]
    public void A_zero_window_is_allowed_and_turns_the_previous_version_off()
    {
        var settings = new Dictionary<string, string?>
        {
            ["KeyVault:VaultUri"] = "https://contoso.vault.azure.net/",
            ["KeyVault:PreviousSecretWindow"] = "00:00:00",
        };

        Assert.Empty(Failures(settings));
    }

    [Fact]
    public void No_vault_and_no_plain_setting_is_refused_naming_both_settings()
    {
        var failures = Failures([]);

        var failure = Assert.Single(failures);
        Assert.Contains("KeyVault:VaultUri (environment variable KeyVault__VaultUri)", failure, StringComparison.Ordinal);
        Assert.Contains("Paypro:AppSecret (environment variable Paypro__AppSecret)", failure, StringComparison.Ordinal);
        Assert.Contains("local development only", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Whitespace_is_not_a_secret()
    {
        var settings = new Dictionary<string, string?> { ["Paypro:AppSecret"] = "   ", ["KeyVault:VaultUri"] = " " };

        var failure = Assert.Single(Failures(settings));

        Assert.StartsWith("No Paypro app secret is configured.", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_vault_uri_is_reported_once_not_also_as_missing()
    {
        var settings = new Dictionary<string, string?> { ["KeyVault:VaultUri"] = "not a uri" };

        var failure = Assert.Single(Failures(settings));

        Assert.StartsWith("KeyVault:VaultUri must be an absolute https URI", failure, StringComparison.Ordinal);
    }

    /// <summary>The options as the app reads them: its registration, the generated binder and the completing step.</summary>
    private static KeyVaultOptions Read(Dictionary<string, string?> settings) => Options(settings).Value;

    /// <summary>What start-up reports: every failure of the section, or none.</summary>
    private static IReadOnlyList<string> Failures(Dictionary<string, string?> settings)
    {
        try
        {
            _ = Options(settings).Value;
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
    }

    private static IOptions<KeyVaultOptions> Options(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddPayproSecrets(configuration)
            .BuildServiceProvider()
            .GetRequiredService<IOptions<KeyVaultOptions>>();
    }
}
