using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Paypro.Functions.Secrets;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Secrets;

public sealed class SecretsServiceCollectionExtensionsTests
{
    private const string VaultSecret = "test-vault-secret-5d0a";
    private const string LocalSecret = "test-local-secret-e81f";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeLogCollector _logs = new();
    private readonly FakeVault _vault = new();

    [Fact]
    public async Task Local_plain_setting_is_used_when_no_vault_is_configured_and_start_up_says_so()
    {
        using var host = Build(new() { ["Paypro:AppSecret"] = LocalSecret });
        await host.StartAsync();

        var store = host.Services.GetRequiredService<IAppSecretStore>();
        Assert.IsType<PlainSettingSecretStore>(store);
        Assert.Same(store, host.Services.GetRequiredService<IPayproSecretSource>());
        Assert.Equal(LocalSecret, await store.GetSigningSecretAsync());
        Assert.Equal([LocalSecret], await store.GetVerificationSecretsAsync());
        Assert.False(await store.RefreshAfterVerificationMissAsync());

        Assert.Equal(nameof(SecretsServiceCollectionExtensions.LogPlainSetting), Assert.Single(At(LogLevel.Warning)).Id.Name);
        Assert.Null(_logs.FindSecret(LocalSecret));
        await host.StopAsync();
    }

    [Fact]
    public async Task Start_up_fails_naming_both_settings_when_neither_is_set()
    {
        using var host = Build([]);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("KeyVault:VaultUri", error.Message, StringComparison.Ordinal);
        Assert.Contains("Paypro:AppSecret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_up_fails_naming_a_wrong_setting()
    {
        using var host = Build(new()
        {
            ["KeyVault:VaultUri"] = "https://contoso.vault.azure.net/",
            ["KeyVault:MissRefreshInterval"] = "0",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("KeyVault:MissRefreshInterval must be a positive time span", error.Message, StringComparison.Ordinal);
        _vault.VerifyCurrentReads(Moq.Times.Never());
    }

    [Fact]
    public async Task Vault_wins_over_the_plain_setting_start_up_reads_nothing_and_the_first_use_warns_that_it_is_ignored()
    {
        _vault.AddVersion(VaultSecret, _time.GetUtcNow().AddDays(-30));
        using var host = Build(new() { ["KeyVault:VaultUri"] = FakeVault.VaultUri.AbsoluteUri, ["Paypro:AppSecret"] = LocalSecret });
        await host.StartAsync();

        // Start-up makes no vault round trip: under the host it must finish quickly, and nothing needs the secret yet.
        _vault.VerifyCurrentReads(Moq.Times.Never());
        var store = host.Services.GetRequiredService<IAppSecretStore>();
        Assert.IsType<KeyVaultSecretStore>(store);
        Assert.Same(store, host.Services.GetRequiredService<IPayproSecretSource>());
        Assert.Equal(nameof(SecretsServiceCollectionExtensions.LogAppSecretIgnored), Assert.Single(At(LogLevel.Warning)).Id.Name);

        // The first use reads the vault once; the next is served from the cache.
        Assert.Equal(VaultSecret, await store.GetSigningSecretAsync());
        Assert.Equal([VaultSecret], await store.GetVerificationSecretsAsync());
        _vault.VerifyCurrentReads(Moq.Times.Once());
        Assert.Null(_logs.FindSecret(VaultSecret, LocalSecret));
        await host.StopAsync();
    }

    [Fact]
    public async Task The_registered_TimeProvider_drives_the_cache()
    {
        _vault.AddVersion(VaultSecret, _time.GetUtcNow().AddDays(-30));
        using var host = Build(new() { ["KeyVault:VaultUri"] = FakeVault.VaultUri.AbsoluteUri, ["KeyVault:RefreshInterval"] = "00:01:00" });
        Assert.Same(_time, host.Services.GetRequiredService<TimeProvider>());

        var store = host.Services.GetRequiredService<IAppSecretStore>();
        await store.GetSigningSecretAsync();
        _time.Advance(TimeSpan.FromMinutes(1));
        await store.GetSigningSecretAsync();

        await Eventually.UntilAsync(() => _vault.CurrentReads == 2, "the scheduled read");
    }

    [Fact]
    public void The_vault_client_comes_from_the_Azure_client_factory_with_short_retries_and_only_when_a_vault_is_set()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["KeyVault:VaultUri"] = FakeVault.VaultUri.AbsoluteUri })
            .Build();
        using var provider = new ServiceCollection().AddLogging().AddPayproSecrets(configuration).BuildServiceProvider();

        var client = provider.GetRequiredService<SecretClient>();

        Assert.Same(provider.GetRequiredService<IAzureClientFactory<SecretClient>>().CreateClient(AzureClientNames.Default), client);
        Assert.Equal(FakeVault.VaultUri, client.VaultUri);
        var options = provider.GetRequiredService<IOptionsMonitor<SecretClientOptions>>().Get(AzureClientNames.Default);
        Assert.Equal(2, options.Retry.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Retry.NetworkTimeout);

        // Without a vault there is no client to make: asking for one says which setting is empty.
        var localSettings = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Paypro:AppSecret"] = LocalSecret })
            .Build();
        using var local = new ServiceCollection().AddLogging().AddPayproSecrets(localSettings).BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => local.GetRequiredService<SecretClient>());
        Assert.Contains("KeyVault:VaultUri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vault_client_registered_before_the_secrets_is_kept()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<SecretClient>(_vault.Client.Object);
        services.AddPayproSecrets(new ConfigurationBuilder().Build());

        using var provider = services.BuildServiceProvider();

        Assert.Same(_vault.Client.Object, provider.GetRequiredService<SecretClient>());
        Assert.Null(provider.GetService<IAzureClientFactory<SecretClient>>());
    }

    [Fact]
    public void TimeProvider_System_is_registered_when_none_is()
    {
        var services = new ServiceCollection();
        services.AddPayproSecrets(new ConfigurationBuilder().Build());

        using var provider = services.BuildServiceProvider();

        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public async Task A_vault_that_refuses_access_does_not_stop_start_up_and_shows_in_the_log_at_first_use()
    {
        _vault.Failure = new RequestFailedException(403, "Caller is not authorized to perform action on resource.", "Forbidden", null);
        using var host = Build(new() { ["KeyVault:VaultUri"] = FakeVault.VaultUri.AbsoluteUri });

        await host.StartAsync();
        Assert.Empty(At(LogLevel.Error));

        var store = host.Services.GetRequiredService<IAppSecretStore>();
        await Assert.ThrowsAsync<AppSecretUnavailableException>(async () => await store.GetSigningSecretAsync());
        var error = Assert.Single(At(LogLevel.Error));
        Assert.Equal(nameof(KeyVaultSecretStore.LogReadFailed), error.Id.Name);
        Assert.Equal("paypro-app-secret", error.GetStructuredStateValue("SecretName"));
        Assert.Equal("Forbidden", error.GetStructuredStateValue("ErrorCode"));
        await host.StopAsync();
    }

    private IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(new FakeLoggerProvider(_logs));
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddPayproSecrets(builder.Configuration);

        // Registered after AddPayproSecrets on purpose: a test double replaces the real client.
        builder.Services.AddSingleton<SecretClient>(_vault.Client.Object);
        return builder.Build();
    }

    private IEnumerable<FakeLogRecord> At(LogLevel level) => _logs.GetSnapshot().Where(record => record.Level == level);
}
