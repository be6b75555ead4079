using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Paypro.Functions.Secrets;

namespace Paypro.Functions.Tests.Secrets;

public sealed class KeyVaultOptionsTests
{
    [Fact]
    public void Defaults_match_the_documented_settings()
    {
        var options = Bind(new() { ["Paypro:AppSecret"] = "local-only" });

        Assert.Null(options.VaultUri);
        Assert.Equal("paypro-app-secret", options.SecretName);
        Assert.Equal(TimeSpan.FromMinutes(5), options.RefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MissRefreshInterval);
        Assert.Equal(TimeSpan.FromDays(1), options.PreviousSecretWindow);
        Assert.Empty(Validate(options, new() { ["Paypro:AppSecret"] = "local-only" }));
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

        var options = Bind(settings);

        Assert.Equal(new Uri("https://contoso-paypro.vault.azure.net/"), options.VaultUri);
        Assert.Equal("paypro-kenya-secret", options.SecretName);
        Assert.Equal(TimeSpan.FromMinutes(10), options.RefreshInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), options.MissRefreshInterval);
        Assert.Equal(TimeSpan.FromDays(2), options.PreviousSecretWindow);
        Assert.Empty(Validate(options, settings));
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

        var failures = Validate(Bind(settings), settings);

        Assert.Equal([expected], failures);
    }

    [Fact]
    public void A_zero_window_is_allowed_and_turns_the_previous_version_off()
    {
        var settings = new Dictionary<string, string?>
        {
            ["KeyVault:VaultUri"] = "https://contoso.vault.azure.net/",
            ["KeyVault:PreviousSecretWindow"] = "00:00:00",
        };

        Assert.Empty(Validate(Bind(settings), settings));
    }

    [Fact]
    public void No_vault_and_no_plain_setting_is_refused_naming_both_settings()
    {
        var failures = Validate(Bind([]), []);

        var failure = Assert.Single(failures);
        Assert.Contains("KeyVault:VaultUri (environment variable KeyVault__VaultUri)", failure, StringComparison.Ordinal);
        Assert.Contains("Paypro:AppSecret (environment variable Paypro__AppSecret)", failure, StringComparison.Ordinal);
        Assert.Contains("local development only", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Whitespace_is_not_a_secret()
    {
        var settings = new Dictionary<string, string?> { ["Paypro:AppSecret"] = "   ", ["KeyVault:VaultUri"] = " " };

        var failure = Assert.Single(Validate(Bind(settings), settings));

        Assert.StartsWith("No Paypro app secret is configured.", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_vault_uri_is_reported_once_not_also_as_missing()
    {
        var settings = new Dictionary<string, string?> { ["KeyVault:VaultUri"] = "not a uri" };

        var failure = Assert.Single(Validate(Bind(settings), settings));

        Assert.StartsWith("KeyVault:VaultUri must be an absolute https URI", failure, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static KeyVaultOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new KeyVaultOptions();
        KeyVaultOptionsBinder.Bind(Configuration(settings), options);
        return options;
    }

    private static IEnumerable<string> Validate(KeyVaultOptions options, Dictionary<string, string?> settings)
    {
        var result = new KeyVaultOptionsValidator(Configuration(settings)).Validate(Options.DefaultName, options);
        return result.Failures ?? [];
    }
}
