using Azure.Identity;
using Azure.Security.KeyVault.Secrets;

namespace Paypro.Functions.Secrets;

/// <summary>
/// The one place a real <see cref="SecretClient"/> is made (registered through <c>AddAzureClients</c>); tests register their own instead.
/// </summary>
internal static class KeyVaultSecretClientFactory
{
    public static SecretClient Create(KeyVaultOptions options, SecretClientOptions clientOptions)
    {
        var vaultUri = options.VaultUri
            ?? throw new InvalidOperationException("KeyVault:VaultUri is empty, so there is no vault to read the Paypro app secret from.");

        // DefaultAzureCredential picks the user-assigned managed identity from AZURE_CLIENT_ID in
        // Azure, and the developer's az / Visual Studio sign-in on a workstation.
        return new SecretClient(vaultUri, new DefaultAzureCredential(), clientOptions);
    }

    /// <summary>
    /// A first read or a verification miss waits for the vault: keep that wait well below Paypro's callback
    /// timeout instead of the SDK's default of minutes.
    /// </summary>
    public static void Configure(SecretClientOptions options)
    {
        options.Retry.MaxRetries = 2;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
    }
}
