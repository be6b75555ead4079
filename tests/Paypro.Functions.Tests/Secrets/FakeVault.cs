using Azure;
using Azure.Security.KeyVault.Secrets;
using Moq;

namespace Paypro.Functions.Tests.Secrets;

/// <summary>
/// A Key Vault secret with versions, behind a mocked <see cref="SecretClient"/> (Key Vault has no
/// local emulator, and SecretClient refuses plain http). Counts come from Moq's Verify.
/// </summary>
internal sealed class FakeVault
{
    public static readonly Uri VaultUri = new("https://paypro-test.vault.azure.net/");

    private readonly Lock _gate = new();
    private readonly List<KeyVaultSecret> _versions = [];
    private int _nextVersion = 1;

    public FakeVault(string secretName = "paypro-app-secret")
    {
        SecretName = secretName;
        Client = new Mock<SecretClient>(MockBehavior.Strict);
        Client.SetupGet(c => c.VaultUri).Returns(VaultUri);
        Client
            .Setup(c => c.GetSecretAsync(SecretName, It.IsAny<string?>(), null, It.IsAny<CancellationToken>()))
            .Returns((string _, string? version, SecretContentType? _, CancellationToken _) => GetAsync(version));
        Client
            .Setup(c => c.GetPropertiesOfSecretVersionsAsync(SecretName, It.IsAny<CancellationToken>()))
            .Returns((string _, CancellationToken _) => ListVersions());
    }

    public string SecretName { get; }

    public Mock<SecretClient> Client { get; }

    /// <summary>Thrown by every call while set, as the real client throws.</summary>
    public Exception? Failure { get; set; }

    /// <summary>Thrown by reads of older versions and by the version listing only.</summary>
    public Exception? VersionsFailure { get; set; }

    /// <summary>While set, reads of the current version wait for it: lets tests hold a read in flight.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Adds a version that becomes the current one, as <c>az keyvault secret set</c> does.</summary>
    public string AddVersion(string value, DateTimeOffset createdOn, bool enabled = true)
    {
        lock (_gate)
        {
            var version = $"v{_nextVersion++:D32}";
            var properties = SecretModelFactory.SecretProperties(
                id: new Uri(VaultUri, $"secrets/{SecretName}/{version}"),
                vaultUri: VaultUri,
                name: SecretName,
                version: version,
                createdOn: createdOn,
                updatedOn: createdOn);
            properties.Enabled = enabled;
            _versions.Add(SecretModelFactory.KeyVaultSecret(properties, value));
            return version;
        }
    }

    public void Disable(string version)
    {
        lock (_gate)
        {
            _versions.Single(v => v.Properties.Version == version).Properties.Enabled = false;
        }
    }

    public void VerifyCurrentReads(Times times) =>
        Client.Verify(c => c.GetSecretAsync(SecretName, null, null, It.IsAny<CancellationToken>()), times);

    public void VerifyVersionReads(string version, Times times) =>
        Client.Verify(c => c.GetSecretAsync(SecretName, version, null, It.IsAny<CancellationToken>()), times);

    public void VerifyListings(Times times) =>
        Client.Verify(c => c.GetPropertiesOfSecretVersionsAsync(SecretName, It.IsAny<CancellationToken>()), times);

    public int CurrentReads =>
        Client.Invocations.Count(i => i.Method.Name == nameof(SecretClient.GetSecretAsync) && i.Arguments[1] is null);

    private async Task<Response<KeyVaultSecret>> GetAsync(string? version)
    {
        if (version is null && Gate is { } gate)
        {
            await gate.Task;
        }

        lock (_gate)
        {
            if (Failure is { } failure)
            {
                throw failure;
            }

            if (version is null)
            {
                var current = _versions.MaxBy(v => v.Properties.CreatedOn)
                    ?? throw new RequestFailedException(404, "Secret not found: " + SecretName, "SecretNotFound", null);
                if (current.Properties.Enabled == false)
                {
                    throw new RequestFailedException(403, "Operation get is not allowed on a disabled secret.", "Forbidden", null);
                }

                return Response.FromValue(current, Mock.Of<Response>());
            }

            if (VersionsFailure is { } versionsFailure)
            {
                throw versionsFailure;
            }

            var match = _versions.Single(v => v.Properties.Version == version);
            if (match.Properties.Enabled == false)
            {
                throw new RequestFailedException(403, "Operation get is not allowed on a disabled secret.", "Forbidden", null);
            }

            return Response.FromValue(match, Mock.Of<Response>());
        }
    }

    // The real client calls the vault only when the pageable is enumerated, so failures surface there too.
    private AsyncPageable<SecretProperties> ListVersions() => AsyncPageable<SecretProperties>.FromPages(ListPages());

    private IEnumerable<Page<SecretProperties>> ListPages()
    {
        List<SecretProperties> all;
        lock (_gate)
        {
            if ((Failure ?? VersionsFailure) is { } failure)
            {
                throw failure;
            }

            // Key Vault lists versions in no promised order; two pages in reverse order make sure
            // the store neither relies on order nor stops at the first page.
            all = _versions.Select(v => v.Properties).Reverse().ToList();
        }

        var half = all.Count / 2;
        yield return Page<SecretProperties>.FromValues(all.Take(half).ToList(), "next", Mock.Of<Response>());
        yield return Page<SecretProperties>.FromValues(all.Skip(half).ToList(), null, Mock.Of<Response>());
    }
}
