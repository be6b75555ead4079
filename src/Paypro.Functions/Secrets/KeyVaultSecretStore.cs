using System.Collections.ObjectModel;
using System.Diagnostics;
using Azure;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Secrets;

/// <summary>
/// The Paypro app secret from Key Vault, cached. Reads are served from the cache; the vault is
/// re-read when the cache is older than <c>KeyVault:RefreshInterval</c> (in the background, the
/// cached set keeps serving meanwhile) and after a verification miss, at most once per
/// <c>KeyVault:MissRefreshInterval</c>. At most one vault read runs at a time; callers share it.
/// </summary>
internal sealed partial class KeyVaultSecretStore : IAppSecretStore
{
    private readonly SecretClient _client;
    private readonly KeyVaultOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _vaultUri;
    private readonly Lock _gate = new();

    // Written under _gate; read without it on the hot path, which is why it is one immutable object.
    private SecretSet? _cached;

    // Guarded by _gate.
    private Task<bool>? _refresh;
    private DateTimeOffset _lastReadStarted = DateTimeOffset.MinValue;
    private bool _lastReadAddedSecret;
    private Failure? _failure;

    public KeyVaultSecretStore(
        SecretClient client,
        IOptions<KeyVaultOptions> options,
        TimeProvider timeProvider,
        ILogger<KeyVaultSecretStore> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);

        var values = options.Value;
        var failures = KeyVaultOptionsValidator.ValidateValues(values);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(options));
        }

        _client = client;
        _options = values;
        _time = timeProvider;
        _logger = logger;
        _vaultUri = (values.VaultUri ?? client.VaultUri)?.AbsoluteUri ?? "(not set)";
    }

    /// <summary>The current version: outbound calls always sign with it.</summary>
    /// <exception cref="AppSecretUnavailableException">The vault cannot be read and nothing is cached.</exception>
    public async ValueTask<string> GetSigningSecretAsync(CancellationToken cancellationToken = default) =>
        (await GetSetAsync(cancellationToken).ConfigureAwait(false)).Current;

    /// <inheritdoc/>
    /// <exception cref="AppSecretUnavailableException">The vault cannot be read and nothing is cached.</exception>
    public async ValueTask<IReadOnlyList<string>> GetVerificationSecretsAsync(CancellationToken cancellationToken = default)
    {
        var set = await GetSetAsync(cancellationToken).ConfigureAwait(false);
        return set.VerificationSecrets(_time.GetUtcNow(), _options.PreviousSecretWindow);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> RefreshAfterVerificationMissAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource<bool>? started = null;
        Task<bool> refresh;
        lock (_gate)
        {
            // The rate limit counts every vault read, scheduled ones too: a read that has just
            // happened is as good as a new one, and forged callbacks get no extra reads.
            if (_refresh is null && _time.GetUtcNow() < _lastReadStarted + _options.MissRefreshInterval)
            {
                return _lastReadAddedSecret;
            }

            refresh = _refresh ?? (started = StartLocked()).Task;
        }

        if (started is not null)
        {
            _ = RunRefreshAsync(started);
        }

        return await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<SecretSet> GetSetAsync(CancellationToken cancellationToken)
    {
        var set = Volatile.Read(ref _cached);
        if (set is null)
        {
            return LoadWithoutCacheAsync(cancellationToken);
        }

        if (_time.GetUtcNow() >= set.RefreshDue)
        {
            StartScheduledRefresh();
        }

        return new(set);
    }

    // The cached set keeps serving while the scheduled read runs, so a slow or failing vault never
    // holds up a callback or a payout; a rotation it misses is caught by the verification miss path.
    private void StartScheduledRefresh()
    {
        TaskCompletionSource<bool> started;
        lock (_gate)
        {
            if (_refresh is not null || _cached is null || _time.GetUtcNow() < _cached.RefreshDue)
            {
                return;
            }

            started = StartLocked();
        }

        _ = RunRefreshAsync(started);
    }

    private async ValueTask<SecretSet> LoadWithoutCacheAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool>? started = null;
        Task<bool> refresh;
        lock (_gate)
        {
            if (_cached is { } set)
            {
                return set;
            }

            // Without a secret every request fails anyway; retrying on each of them would only
            // hammer a vault that is already refusing.
            if (_refresh is null && _failure is { } failure && _time.GetUtcNow() < failure.RetryAt)
            {
                throw failure.ToException();
            }

            refresh = _refresh ?? (started = StartLocked()).Task;
        }

        if (started is not null)
        {
            _ = RunRefreshAsync(started);
        }

        await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Volatile.Read(ref _cached) ?? throw new UnreachableException("A successful read always caches the secret set.");
    }

    private TaskCompletionSource<bool> StartLocked()
    {
        var started = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _refresh = started.Task;
        _lastReadStarted = _time.GetUtcNow();
        return started;
    }

    // Never throws: its outcome goes to the waiters through the completion source.
    private async Task RunRefreshAsync(TaskCompletionSource<bool> completion)
    {
        var before = Volatile.Read(ref _cached);
        SecretSet loaded;
        try
        {
            loaded = await ReadVaultAsync(before).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Fail(completion, before, exception);
            return;
        }

        // The first read adds nothing a caller could have verified against already.
        var added = before is not null && loaded.AddsSecretsTo(before);
        lock (_gate)
        {
            Volatile.Write(ref _cached, loaded);
            _failure = null;
            _lastReadAddedSecret = added;
            _refresh = null;
        }

        // Logged before the waiters resume so a log line always precedes what it explains; the
        // finally makes sure a failing logger cannot leave them waiting.
        try
        {
            if (before is null || added)
            {
                LogSecretRead(_logger, _options.SecretName, loaded.CurrentVersion ?? "(unknown)",
                    loaded.PreviousVersion ?? "none", loaded.PreviousAcceptedUntil(_options.PreviousSecretWindow));
            }
        }
        finally
        {
            completion.TrySetResult(added);
        }
    }

    private void Fail(TaskCompletionSource<bool> completion, SecretSet? before, Exception exception)
    {
        var (reason, errorCode) = Describe(exception);
        var retryAt = _time.GetUtcNow()
            + (_options.MissRefreshInterval < _options.RefreshInterval ? _options.MissRefreshInterval : _options.RefreshInterval);
        var message = $"The Paypro app secret could not be read from Key Vault (KeyVault:VaultUri '{_vaultUri}', " +
            $"KeyVault:SecretName '{_options.SecretName}'): {reason}";

        lock (_gate)
        {
            if (before is not null)
            {
                Volatile.Write(ref _cached, before.WithRefreshDue(retryAt));
            }
            else
            {
                _failure = new Failure(message, errorCode, exception, retryAt);
            }

            _lastReadAddedSecret = false;
            _refresh = null;
        }

        try
        {
            if (before is not null)
            {
                LogRefreshFailed(
                    _logger,
                    _vaultUri,
                    _options.SecretName,
                    errorCode ?? "none",
                    reason,
                    before.CurrentVersion ?? "(unknown)",
                    retryAt);
            }
            else
            {
                LogReadFailed(_logger, _vaultUri, _options.SecretName, errorCode ?? "none", reason, retryAt);
            }
        }
        finally
        {
            if (before is not null)
            {
                completion.TrySetResult(false);
            }
            else
            {
                completion.TrySetException(new AppSecretUnavailableException(message, errorCode, exception));

                // Every waiter may have given up (cancelled); the failure is logged, so it must not resurface as unobserved.
                _ = completion.Task.Exception;
            }
        }
    }

    private async Task<SecretSet> ReadVaultAsync(SecretSet? before)
    {
        // The read is shared by every waiter, so no single caller's token may cancel it; the
        // client's retry policy bounds how long it takes.
        var current = (await _client.GetSecretAsync(_options.SecretName, null, null, CancellationToken.None).ConfigureAwait(false)).Value;
        if (string.IsNullOrEmpty(current?.Value))
        {
            throw new EmptySecretException();
        }

        var createdOn = current.Properties.CreatedOn ?? current.Properties.UpdatedOn;
        string? previous = null;
        string? previousVersion = null;
        if (createdOn is { } created && _time.GetUtcNow() < created + _options.PreviousSecretWindow)
        {
            try
            {
                (previous, previousVersion) = await ReadPreviousAsync(current.Properties.Version, created, before).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // The previous version only helps callbacks signed before a rotation; failing to
                // read it must not keep the app from picking up the current one.
                var (reason, errorCode) = Describe(exception);
                LogPreviousUnavailable(_logger, _options.SecretName, errorCode ?? "none", reason);
            }
        }

        return new SecretSet(current.Value, current.Properties.Version, createdOn, previous, previousVersion,
            _time.GetUtcNow() + _options.RefreshInterval);
    }

    private async Task<(string? Value, string? Version)> ReadPreviousAsync(
        string? currentVersion,
        DateTimeOffset currentCreated,
        SecretSet? before)
    {
        SecretProperties? previous = null;
        var previousCreated = DateTimeOffset.MinValue;
        await foreach (var version in _client.GetPropertiesOfSecretVersionsAsync(_options.SecretName, CancellationToken.None)
            .ConfigureAwait(false))
        {
            if (version.Version == currentVersion
                || (version.CreatedOn ?? version.UpdatedOn) is not { } created
                || created > currentCreated)
            {
                continue;
            }

            if (previous is null || created > previousCreated)
            {
                previous = version;
                previousCreated = created;
            }
        }

        // Only the version the current one replaced counts: when that one was disabled (revoked),
        // an older version must not stand in for it.
        if (previous?.Version is not { } previousVersion || previous.Enabled == false
            || (previous.ExpiresOn is { } expires && expires <= _time.GetUtcNow()))
        {
            return (null, null);
        }

        // Right after a rotation the previous version is the one cached as current: no extra read.
        if (before is not null && before.CurrentVersion == previousVersion)
        {
            return (before.Current, previousVersion);
        }

        if (before is not null && before.PreviousVersion == previousVersion)
        {
            return (before.Previous, previousVersion);
        }

        var value = (await _client.GetSecretAsync(_options.SecretName, previousVersion, null, CancellationToken.None)
            .ConfigureAwait(false)).Value?.Value;
        return string.IsNullOrEmpty(value) ? (null, null) : (value, previousVersion);
    }

    // Builds the part of a message that says what went wrong and what to check. Only the vault's
    // status and error code are used: never a response body, never a secret.
    private (string Reason, string? ErrorCode) Describe(Exception exception) => exception switch
    {
        EmptySecretException =>
            ("the secret's current version has an empty value. Set a value with: az keyvault secret set --vault-name <vault> --name " +
             $"{_options.SecretName} --value <app secret>.", null),
        RequestFailedException { Status: 404 } e =>
            ($"the vault has no secret by that name (HTTP 404, error code {e.ErrorCode ?? "none"}). Check KeyVault:SecretName.",
             e.ErrorCode),
        RequestFailedException { Status: 401 or 403 } e =>
            ($"the vault refused access (HTTP {e.Status}, error code {e.ErrorCode ?? "none"}). Give the app's managed identity " +
             "(its client id in AZURE_CLIENT_ID) the 'Key Vault Secrets User' role on the vault, check the vault's network rules, " +
             "and check that the secret's current version is enabled.", e.ErrorCode),
        RequestFailedException { Status: 0 } e =>
            ($"the vault did not answer ({e.InnerException?.Message ?? e.GetType().Name}). " +
             "Check KeyVault:VaultUri and the network path to the vault.",
             e.ErrorCode),
        RequestFailedException e =>
            ($"the vault answered HTTP {e.Status} (error code {e.ErrorCode ?? "none"}).", e.ErrorCode),
        AuthenticationFailedException e =>
            ($"no access token could be obtained for the vault ({e.Message}). Check the app's managed identity and AZURE_CLIENT_ID.", null),
        _ => ($"{exception.GetType().Name}: {exception.Message}", null),
    };

    [LoggerMessage(EventId = 4100, Level = LogLevel.Information,
        Message = "Read the Paypro app secret from Key Vault (KeyVault:SecretName '{SecretName}'): current version {CurrentVersion}; " +
                  "previous version {PreviousVersion} accepted for verification until {PreviousAcceptedUntil}.")]
    internal static partial void LogSecretRead(
        ILogger logger,
        string secretName,
        string currentVersion,
        string previousVersion,
        string previousAcceptedUntil);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning,
        Message = "Could not refresh the Paypro app secret from Key Vault (KeyVault:VaultUri '{VaultUri}', " +
                  "KeyVault:SecretName '{SecretName}', " +
                  "error code {ErrorCode}): {Reason} Still using the cached version {CachedVersion}; next attempt after {RetryAt:O}.")]
    internal static partial void LogRefreshFailed(
        ILogger logger,
        string vaultUri,
        string secretName,
        string errorCode,
        string reason,
        string cachedVersion,
        DateTimeOffset retryAt);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Error,
        Message = "Could not read the Paypro app secret from Key Vault (KeyVault:VaultUri '{VaultUri}', " +
                  "KeyVault:SecretName '{SecretName}', " +
                  "error code {ErrorCode}): {Reason} Nothing is cached, so calls to Paypro and callbacks fail until the vault answers; " +
                  "next attempt after {RetryAt:O}.")]
    internal static partial void LogReadFailed(
        ILogger logger,
        string vaultUri,
        string secretName,
        string errorCode,
        string reason,
        DateTimeOffset retryAt);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning,
        Message = "Could not read the previous version of the Paypro app secret (KeyVault:SecretName '{SecretName}', " +
                  "error code {ErrorCode}): " +
                  "{Reason} Only the current version verifies callbacks.")]
    internal static partial void LogPreviousUnavailable(ILogger logger, string secretName, string errorCode, string reason);

    private sealed class EmptySecretException : Exception;

    private sealed record Failure(string Message, string? ErrorCode, Exception Cause, DateTimeOffset RetryAt)
    {
        public AppSecretUnavailableException ToException() => new(Message, ErrorCode, Cause);
    }

    /// <summary>One read of the vault. Immutable, so the hot path can read it without a lock.</summary>
    private sealed class SecretSet
    {
        private readonly ReadOnlyCollection<string> _currentOnly;
        private readonly ReadOnlyCollection<string>? _withPrevious;

        public SecretSet(string current, string? currentVersion, DateTimeOffset? currentCreatedOn,
            string? previous, string? previousVersion, DateTimeOffset refreshDue)
        {
            Current = current;
            CurrentVersion = currentVersion;
            CurrentCreatedOn = currentCreatedOn;
            Previous = previous;
            PreviousVersion = previous is null ? null : previousVersion;
            RefreshDue = refreshDue;
            _currentOnly = Array.AsReadOnly([current]);
            _withPrevious = previous is null ? null : Array.AsReadOnly([current, previous]);
        }

        public string Current { get; }
        public string? CurrentVersion { get; }
        public DateTimeOffset? CurrentCreatedOn { get; }
        public string? Previous { get; }
        public string? PreviousVersion { get; }
        public DateTimeOffset RefreshDue { get; }

        public SecretSet WithRefreshDue(DateTimeOffset refreshDue) =>
            new(Current, CurrentVersion, CurrentCreatedOn, Previous, PreviousVersion, refreshDue);

        // The window is checked at every read, not at load time, so the previous version stops
        // verifying exactly when the window ends, whenever the next vault read happens.
        public IReadOnlyList<string> VerificationSecrets(DateTimeOffset now, TimeSpan window) =>
            _withPrevious is not null && CurrentCreatedOn is { } created && now < created + window ? _withPrevious : _currentOnly;

        public string PreviousAcceptedUntil(TimeSpan window) =>
            Previous is not null && CurrentCreatedOn is { } created ? (created + window).ToString("O") : "never";

        /// <summary>Whether this set holds a secret the other lacks: only then can a failed verification succeed now.</summary>
        public bool AddsSecretsTo(SecretSet other) =>
            !other.Holds(Current) || (Previous is not null && !other.Holds(Previous));

        private bool Holds(string secret) =>
            string.Equals(Current, secret, StringComparison.Ordinal) || string.Equals(Previous, secret, StringComparison.Ordinal);

        public override string ToString() =>
            $"Paypro app secret set (current version {CurrentVersion ?? "(unknown)"}, previous version {PreviousVersion ?? "none"})";
    }
}
