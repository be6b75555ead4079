using Azure;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using Paypro.Functions.Secrets;

namespace Paypro.Functions.Tests.Secrets;

public sealed class KeyVaultSecretStoreTests
{
    private const string SecretA = "test-app-secret-A-4b1d";
    private const string SecretB = "test-app-secret-B-93e0";
    private const string SecretC = "test-app-secret-C-c27a";

    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly FakeVault _vault = new();
    private readonly FakeLogCollector _logs = new();
    private readonly KeyVaultOptions _options = new() { VaultUri = FakeVault.VaultUri };

    private KeyVaultSecretStore CreateStore() =>
        new(_vault.Client.Object, Options.Create(_options), _time, new FakeLogger<KeyVaultSecretStore>(_logs));

    [Fact]
    public async Task Current_secret_is_read_once_and_then_served_from_the_cache()
    {
        _vault.AddVersion(SecretA, Start.AddDays(-30));
        var store = CreateStore();

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(SecretA, await store.GetSigningSecretAsync());
            Assert.Equal([SecretA], await store.GetVerificationSecretsAsync());
            _time.Advance(TimeSpan.FromSeconds(2));
        }

        _vault.VerifyCurrentReads(Times.Once());
        // The current version is older than the window, so there is no previous version to look for.
        _vault.VerifyListings(Times.Never());
        Assert.Null(_logs.FindSecret(SecretA));
    }

    [Fact]
    public async Task Cache_is_refreshed_once_RefreshInterval_has_passed()
    {
        _vault.AddVersion(SecretA, Start.AddDays(-30));
        var store = CreateStore();
        Assert.Equal(SecretA, await store.GetSigningSecretAsync());

        _vault.AddVersion(SecretB, Start.AddDays(-29));
        _time.Advance(_options.RefreshInterval - TimeSpan.FromSeconds(1));
        Assert.Equal(SecretA, await store.GetSigningSecretAsync());
        _vault.VerifyCurrentReads(Times.Once());

        _time.Advance(TimeSpan.FromSeconds(1));
        // This read triggers the refresh; the cached secret keeps serving while it runs.
        await store.GetSigningSecretAsync();
        await Eventually.UntilAsync(async () => await store.GetSigningSecretAsync() == SecretB, "the refreshed secret is served");
        _vault.VerifyCurrentReads(Times.Exactly(2));

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(SecretB, await store.GetSigningSecretAsync());
        }

        _vault.VerifyCurrentReads(Times.Exactly(2));
        Assert.Null(_logs.FindSecret(SecretA, SecretB));
    }

    [Fact]
    public async Task Concurrent_misses_share_one_vault_read_and_later_misses_within_the_interval_make_none()
    {
        _vault.AddVersion(SecretA, Start.AddDays(-30));
        var store = CreateStore();
        await store.GetSigningSecretAsync();

        _time.Advance(_options.MissRefreshInterval);
        _vault.AddVersion(SecretB, _time.GetUtcNow());
        _vault.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var misses = Enumerable.Range(0, 50)
            .Select(_ => Task.Run(async () => await store.RefreshAfterVerificationMissAsync()))
            .ToList();

        await Eventually.UntilAsync(() => _vault.CurrentReads == 2, "the miss read reaches the vault");
        Assert.All(misses, m => Assert.False(m.IsCompleted));
        _vault.Gate.SetResult();
        var results = await Task.WhenAll(misses);

        Assert.All(results, Assert.True);
        _vault.VerifyCurrentReads(Times.Exactly(2));

        // A flood of forged callbacks inside the interval costs no vault read at all.
        _vault.Gate = null;
        for (var i = 0; i < 200; i++)
        {
            await store.RefreshAfterVerificationMissAsync();
        }

        _time.Advance(_options.MissRefreshInterval - TimeSpan.FromSeconds(1));
        await store.RefreshAfterVerificationMissAsync();
        _vault.VerifyCurrentReads(Times.Exactly(2));

        // Once the interval has passed a miss reads again; nothing new in the vault means false.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await store.RefreshAfterVerificationMissAsync());
        _vault.VerifyCurrentReads(Times.Exactly(3));
        Assert.Null(_logs.FindSecret(SecretA, SecretB));
    }

    [Fact]
    public async Task Miss_right_after_another_read_picked_up_a_rotation_says_verify_again_without_reading()
    {
        _vault.AddVersion(SecretA, Start.AddDays(-30));
        var store = CreateStore();
        await store.GetSigningSecretAsync();

        // The first read counts against the rate limit too.
        Assert.False(await store.RefreshAfterVerificationMissAsync());
        _vault.VerifyCurrentReads(Times.Once());

        _time.Advance(_options.MissRefreshInterval);
        _vault.AddVersion(SecretB, _time.GetUtcNow());
        Assert.True(await store.RefreshAfterVerificationMissAsync());
        // A callback that read the old set before that refresh must still get a second try.
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await store.RefreshAfterVerificationMissAsync());
        _vault.VerifyCurrentReads(Times.Exactly(2));
    }

    [Fact]
    public async Task Rotation_is_picked_up_after_a_verification_miss()
    {
        var versionA = _vault.AddVersion(SecretA, Start.AddDays(-30));
        var store = CreateStore();
        Assert.Equal([SecretA], await store.GetVerificationSecretsAsync());

        _time.Advance(TimeSpan.FromMinutes(1));
        _vault.AddVersion(SecretB, _time.GetUtcNow());
        // Still cached: nothing asks the vault until a callback fails to verify.
        Assert.Equal([SecretA], await store.GetVerificationSecretsAsync());

        Assert.True(await store.RefreshAfterVerificationMissAsync());

        Assert.Equal(SecretB, await store.GetSigningSecretAsync());
        Assert.Equal([SecretB, SecretA], await store.GetVerificationSecretsAsync());
        // The old current version became the previous one: its value was already cached.
        _vault.VerifyVersionReads(versionA, Times.Never());
        var read = Assert.Single(
            _logs.GetSnapshot(),
            l => l.Id.Name == nameof(KeyVaultSecretStore.LogSecretRead) && l.GetStructuredStateValue("PreviousVersion") == versionA);
        Assert.Equal(LogLevel.Information, read.Level);
        Assert.Null(_logs.FindSecret(SecretA, SecretB));
    }

    [Fact]
    public async Task Previous_version_is_accepted_within_the_window_and_not_after()
    {
        _options.PreviousSecretWindow = TimeSpan.FromHours(6);
        var versionA = _vault.AddVersion(SecretA, Start.AddDays(-3));
        var createdB = Start.AddHours(-1);
        _vault.AddVersion(SecretB, createdB);
        var store = CreateStore();

        Assert.Equal(SecretB, await store.GetSigningSecretAsync());
        Assert.Equal([SecretB, SecretA], await store.GetVerificationSecretsAsync());
        _vault.VerifyVersionReads(versionA, Times.Once());

        _time.SetUtcNow(createdB + _options.PreviousSecretWindow - TimeSpan.FromSeconds(1));
        Assert.Equal([SecretB, SecretA], await store.GetVerificationSecretsAsync());

        // Exactly at the end of the window, even before any vault read, the previous version is out.
        _time.SetUtcNow(createdB + _options.PreviousSecretWindow);
        Assert.Equal([SecretB], await store.GetVerificationSecretsAsync());
        _vault.VerifyCurrentReads(Times.Exactly(2));

        // A read after the window no longer even lists the versions.
        _time.Advance(_options.RefreshInterval);
        await store.GetVerificationSecretsAsync();
        await Eventually.UntilAsync(() => _vault.CurrentReads == 3, "the scheduled read");
        Assert.Equal([SecretB], await store.GetVerificationSecretsAsync());
        Assert.Equal(SecretB, await store.GetSigningSecretAsync());
        _vault.VerifyListings(Times.Exactly(2));
        _vault.VerifyVersionReads(versionA, Times.Once());
        Assert.Null(_logs.FindSecret(SecretA, SecretB));
    }

    [Fact]
    public async Task Zero_window_accepts_the_current_version_only_and_never_lists_versions()
    {
        _options.PreviousSecretWindow = TimeSpan.Zero;
        _vault.AddVersion(SecretA, Start.AddDays(-1));
        _vault.AddVersion(SecretB, Start);
        var store = CreateStore();

        Assert.Equal([SecretB], await store.GetVerificationSecretsAsync());
        _vault.VerifyListings(Times.Never());
    }

    [Fact]
    public async Task Disabled_previous_version_is_not_accepted_and_an_older_one_does_not_stand_in()
    {
        _vault.AddVersion(SecretA, Start.AddDays(-10));
        var versionB = _vault.AddVersion(SecretB, Start.AddHours(-3));
        _vault.AddVersion(SecretC, Start.AddHours(-1));
        _vault.Disable(versionB);
        var store = CreateStore();

        Assert.Equal([SecretC], await store.GetVerificationSecretsAsync());
        _vault.Client.Verify(
            c => c.GetSecretAsync(_vault.SecretName, It.IsNotNull<string>(), null, It.IsAny<CancellationToken>()),
            Times.Never());
    }

    [Fact]
    public async Task Revoking_the_previous_version_in_the_vault_is_picked_up_at_the_next_read()
    {
        var versionA = _vault.AddVersion(SecretA, Start.AddDays(-10));
        _vault.AddVersion(SecretB, Start.AddMinutes(-1));
        var store = CreateStore();
        Assert.Equal([SecretB, SecretA], await store.GetVerificationSecretsAsync());

        _vault.Disable(versionA);
        _time.Advance(_options.RefreshInterval);
        await store.GetVerificationSecretsAsync();
        await Eventually.UntilAsync(async () => (await store.GetVerificationSecretsAsync()).Count == 1, "the revoked version to drop out");
        Assert.Equal([SecretB], await store.GetVerificationSecretsAsync());
        // Dropping a secret never asks a failed callback to verify again.
        _time.Advance(_options.MissRefreshInterval);
        Assert.False(await store.RefreshAfterVerificationMissAsync());
    }

    [Fact]
    public async Task Vault_failure_with_a_cached_secret_keeps_it_and_logs_a_warning()
    {
        _vault.AddVersion(SecretA, Start.AddDays(-30));
        var store = CreateStore();
        await store.GetSigningSecretAsync();

        _vault.Failure = new RequestFailedException(403, "Caller is not authorized to perform action on resource.", "Forbidden", null);
        _time.Advance(_options.RefreshInterval);
        Assert.Equal(SecretA, await store.GetSigningSecretAsync());
        await Eventually.UntilAsync(() => At(LogLevel.Warning).Any(), "the warning");

        var warning = Assert.Single(At(LogLevel.Warning));
        Assert.Equal(nameof(KeyVaultSecretStore.LogRefreshFailed), warning.Id.Name);
        Assert.Equal("https://paypro-test.vault.azure.net/", warning.GetStructuredStateValue("VaultUri"));
        Assert.Equal("paypro-app-secret", warning.GetStructuredStateValue("SecretName"));
        Assert.Equal("Forbidden", warning.GetStructuredStateValue("ErrorCode"));
        Assert.False(string.IsNullOrEmpty(warning.GetStructuredStateValue("CachedVersion")));

        // The failed read is retried after MissRefreshInterval, not on every access.
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(SecretA, await store.GetSigningSecretAsync());
            Assert.Equal([SecretA], await store.GetVerificationSecretsAsync());
        }

        Assert.False(await store.RefreshAfterVerificationMissAsync());
        _vault.VerifyCurrentReads(Times.Exactly(2));

        _vault.Failure = null;
        _vault.AddVersion(SecretB, _time.GetUtcNow());
        _time.Advance(_options.MissRefreshInterval);
        Assert.True(await store.RefreshAfterVerificationMissAsync());
        Assert.Equal(SecretB, await store.GetSigningSecretAsync());
        Assert.Null(_logs.FindSecret(SecretA, SecretB));
    }

    [Fact]
    public async Task Vault_failure_without_a_cached_secret_throws_a_clear_error_and_does_not_hammer_the_vault()
    {
        _vault.AddVersion(SecretA, Start.AddDays(-30));
        _vault.Failure = new RequestFailedException(403, "Caller is not authorized to perform action on resource.", "Forbidden", null);
        var store = CreateStore();

        var error = await Assert.ThrowsAsync<AppSecretUnavailableException>(async () => await store.GetSigningSecretAsync());
        Assert.Equal("Forbidden", error.ErrorCode);
        Assert.Contains("KeyVault:VaultUri 'https://paypro-test.vault.azure.net/'", error.Message, StringComparison.Ordinal);
        Assert.Contains("KeyVault:SecretName 'paypro-app-secret'", error.Message, StringComparison.Ordinal);
        Assert.Contains("error code Forbidden", error.Message, StringComparison.Ordinal);
        Assert.Contains("Key Vault Secrets User", error.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(KeyVaultSecretStore.LogReadFailed), Assert.Single(At(LogLevel.Error)).Id.Name);

        for (var i = 0; i < 20; i++)
        {
            var again = await Assert.ThrowsAsync<AppSecretUnavailableException>(async () => await store.GetVerificationSecretsAsync());
            Assert.Equal(error.Message, again.Message);
        }

        _vault.VerifyCurrentReads(Times.Once());

        _vault.Failure = null;
        _time.Advance(_options.MissRefreshInterval);
        Assert.Equal(SecretA, await store.GetSigningSecretAsync());
        _vault.VerifyCurrentReads(Times.Exactly(2));
        Assert.DoesNotContain(SecretA, error.ToString(), StringComparison.Ordinal);
        Assert.Null(_logs.FindSecret(SecretA));
    }

    [Fact]
    public async Task Missing_secret_names_KeyVault_SecretName()
    {
        var store = CreateStore();

        var error = await Assert.ThrowsAsync<AppSecretUnavailableException>(async () => await store.GetSigningSecretAsync());

        Assert.Equal("SecretNotFound", error.ErrorCode);
        Assert.Contains(
            "no secret by that name (HTTP 404, error code SecretNotFound). Check KeyVault:SecretName.",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_vault_and_missing_identity_say_what_to_check()
    {
        _vault.Failure = new RequestFailedException(
            "Connection refused",
            new HttpRequestException("Connection refused (paypro-test.vault.azure.net:443)"));
        var unreachable = await Assert.ThrowsAsync<AppSecretUnavailableException>(async () => await CreateStore().GetSigningSecretAsync());
        Assert.Contains(
            "the vault did not answer (Connection refused (paypro-test.vault.azure.net:443)). Check KeyVault:VaultUri",
            unreachable.Message,
            StringComparison.Ordinal);

        _vault.Failure = new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable.");
        var noIdentity = await Assert.ThrowsAsync<AppSecretUnavailableException>(async () => await CreateStore().GetSigningSecretAsync());
        Assert.Contains("no access token could be obtained for the vault", noIdentity.Message, StringComparison.Ordinal);
        Assert.Contains("AZURE_CLIENT_ID", noIdentity.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_secret_value_is_refused()
    {
        _vault.AddVersion(string.Empty, Start.AddDays(-30));

        var error = await Assert.ThrowsAsync<AppSecretUnavailableException>(async () => await CreateStore().GetSigningSecretAsync());

        Assert.Contains("the secret's current version has an empty value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failing_to_read_the_previous_version_still_serves_the_current_one()
    {
        _vault.AddVersion(SecretA, Start.AddDays(-2));
        _vault.AddVersion(SecretB, Start.AddMinutes(-5));
        _vault.VersionsFailure = new RequestFailedException(403, "The user does not have secrets list permission.", "Forbidden", null);
        var store = CreateStore();

        Assert.Equal(SecretB, await store.GetSigningSecretAsync());
        Assert.Equal([SecretB], await store.GetVerificationSecretsAsync());
        var warning = Assert.Single(At(LogLevel.Warning));
        Assert.Equal(nameof(KeyVaultSecretStore.LogPreviousUnavailable), warning.Id.Name);
        Assert.Equal("Forbidden", warning.GetStructuredStateValue("ErrorCode"));
        Assert.Null(_logs.FindSecret(SecretA, SecretB));
    }

    [Fact]
    public async Task Cancelling_a_waiting_caller_does_not_cancel_the_shared_read()
    {
        _vault.AddVersion(SecretA, Start.AddDays(-30));
        _vault.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = CreateStore();

        using var cancel = new CancellationTokenSource();
        var first = store.GetSigningSecretAsync(cancel.Token).AsTask();
        var second = store.GetSigningSecretAsync().AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        _vault.Gate.SetResult();
        Assert.Equal(SecretA, await second);
        _vault.VerifyCurrentReads(Times.Once());
    }

    [Fact]
    public void Invalid_options_are_refused_by_the_constructor()
    {
        _options.RefreshInterval = TimeSpan.Zero;

        var error = Assert.Throws<ArgumentException>(CreateStore);

        Assert.Contains("KeyVault:RefreshInterval must be a positive time span", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToString_never_shows_the_secret()
    {
        _vault.AddVersion(SecretA, Start.AddDays(-30));
        var store = CreateStore();
        await store.GetSigningSecretAsync();

        Assert.DoesNotContain(SecretA, store.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(SecretA, new PlainSettingSecretStore(SecretA).ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(SecretA, (await store.GetVerificationSecretsAsync()).ToString(), StringComparison.Ordinal);
    }

    private IEnumerable<FakeLogRecord> At(LogLevel level) => _logs.GetSnapshot().Where(record => record.Level == level);
}
