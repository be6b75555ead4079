using System.Collections.ObjectModel;

namespace Paypro.Functions.Secrets;

/// <summary>
/// The app secret from the plain setting <c>Paypro:AppSecret</c>: local development only, when no
/// vault is configured. There is nothing to re-read, so a verification miss never changes the set.
/// </summary>
internal sealed class PlainSettingSecretStore : IAppSecretStore
{
    private readonly string _secret;
    private readonly ReadOnlyCollection<string> _verificationSecrets;

    public PlainSettingSecretStore(string appSecret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(appSecret);
        _secret = appSecret;
        _verificationSecrets = Array.AsReadOnly([appSecret]);
    }

    public ValueTask<string> GetSigningSecretAsync(CancellationToken cancellationToken = default) => new(_secret);

    public ValueTask<IReadOnlyList<string>> GetVerificationSecretsAsync(CancellationToken cancellationToken = default) =>
        new(_verificationSecrets);

    public ValueTask<bool> RefreshAfterVerificationMissAsync(CancellationToken cancellationToken = default) => new(false);
}
