namespace Paypro.Functions.Secrets;

/// <summary>
/// The Paypro app secret as the app needs it: one secret to sign with, and the set of secrets a
/// callback may be signed with while a rotation settles.
/// </summary>
/// <remarks>
/// Verifying a callback: verify against <see cref="GetVerificationSecretsAsync"/>; on a miss, call
/// <see cref="RefreshAfterVerificationMissAsync"/> and, only when it returns <see langword="true"/>,
/// verify once more against a fresh <see cref="GetVerificationSecretsAsync"/> before rejecting.
/// </remarks>
public interface IAppSecretStore : IPayproSecretSource
{
    /// <summary>
    /// The secrets a callback may be signed with: the current one first, then the previous version
    /// while it is within <c>KeyVault:PreviousSecretWindow</c> of the current version's creation.
    /// </summary>
    ValueTask<IReadOnlyList<string>> GetVerificationSecretsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Called when a signature matched none of the verification secrets: re-reads the secret
    /// source, at most once per <c>KeyVault:MissRefreshInterval</c> (concurrent callers share one read),
    /// so a rotated secret is picked up but forged callbacks cannot hammer the vault.
    /// </summary>
    /// <returns>
    /// <see langword="true"/> when the latest read (the one this call started or joined, or one that
    /// ran within the last <c>KeyVault:MissRefreshInterval</c>) changed the secret set, so verifying
    /// again is worthwhile; otherwise <see langword="false"/>.
    /// </returns>
    ValueTask<bool> RefreshAfterVerificationMissAsync(CancellationToken cancellationToken = default);
}
