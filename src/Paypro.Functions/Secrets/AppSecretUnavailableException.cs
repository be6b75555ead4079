namespace Paypro.Functions.Secrets;

/// <summary>
/// The Paypro app secret could not be read and no earlier copy is cached, so nothing can be signed
/// or verified. The message names the settings to check; it never contains the secret.
/// </summary>
internal sealed class AppSecretUnavailableException : InvalidOperationException
{
    public AppSecretUnavailableException(string message, string? errorCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The vault's error code (for example <c>Forbidden</c> or <c>SecretNotFound</c>), when it gave one.</summary>
    public string? ErrorCode { get; }
}
