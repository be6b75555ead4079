namespace Paypro.Functions.Secrets;

/// <summary>
/// Where the Paypro app secret lives in Key Vault and how the app caches it (section <c>KeyVault</c>). The binder reads the
/// vault and the name; the time spans have no public setter, so the binder leaves them to
/// <see cref="KeyVaultOptionsValidator.CompleteBinding"/>, which says what form a wrong one must take.
/// </summary>
internal sealed class KeyVaultOptions
{
    public const string SectionName = "KeyVault";

    /// <summary>
    /// The vault, for example <c>https://my-vault.vault.azure.net/</c>. Empty means no vault: the
    /// plain setting <c>Paypro:AppSecret</c> is used instead, for local development only.
    /// </summary>
    public Uri? VaultUri { get; set; }

    /// <summary>The secret's name in the vault.</summary>
    public string SecretName { get; set; } = DefaultSecretName;

    public const string DefaultSecretName = "paypro-app-secret";

    /// <summary>How old the cached secret may get before an access triggers a re-read of the vault.</summary>
    public TimeSpan RefreshInterval { get; internal set; } = TimeSpan.FromMinutes(5);

    /// <summary>The least time between two vault reads caused by callbacks whose signature matched no secret.</summary>
    public TimeSpan MissRefreshInterval { get; internal set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after the current version was created the previous version still verifies
    /// callbacks. Zero accepts the current version only.
    /// </summary>
    public TimeSpan PreviousSecretWindow { get; internal set; } = TimeSpan.FromDays(1);
}
