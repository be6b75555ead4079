namespace Paypro;

/// <summary>
/// Supplies the Paypro app secret that outbound requests are signed with. Asked once per call, so an
/// implementation that caches a vault secret can rotate it without restarting the client.
/// </summary>
public interface IPayproSecretSource
{
    /// <summary>The current app secret. Never log or display it.</summary>
    ValueTask<string> GetSigningSecretAsync(CancellationToken cancellationToken = default);
}

/// <summary>A secret known up front: local development, the sandbox, tests.</summary>
public sealed class StaticPayproSecretSource : IPayproSecretSource
{
    private readonly string _secret;

    /// <param name="secret">The Paypro app secret.</param>
    /// <exception cref="ArgumentException">The secret is null or empty.</exception>
    public StaticPayproSecretSource(string secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            throw new ArgumentException("The Paypro app secret is empty.", nameof(secret));
        }
        _secret = secret;
    }

    public ValueTask<string> GetSigningSecretAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_secret);

    // Objects end up in logs and debugger views; the secret must not go with them.
    public override string ToString() => $"{nameof(StaticPayproSecretSource)} (secret hidden)";
}
