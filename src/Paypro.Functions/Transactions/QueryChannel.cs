using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.Transactions;

/// <summary>
/// What the app knows of Paypro's status queries: the last well-formed "found" answer (when, under which credentials, as
/// a fingerprint that never reveals the secret, and for which transaction, so it can be asked about again), and the last
/// time a query answered "not found" for a transaction Paypro had accepted (which only a broken channel does).
/// </summary>
public sealed record QueryChannelMark(
    DateTimeOffset? FoundAt,
    string? FoundCredentials,
    string? TradeNo,
    TransactionKind Kind,
    DateTimeOffset? FailedAt,
    string? FailedCredentials)
{
    /// <summary>Whether queries under <paramref name="credentials"/> are known to work at <paramref name="now"/>.</summary>
    public bool IsGood(string credentials, DateTimeOffset now, TimeSpan window) =>
        FoundCredentials == credentials
            && FoundAt is { } found
            && now - found <= window
            && !(FailedCredentials == credentials && FailedAt >= found);
}

/// <summary>
/// Whether Paypro's query channel is known good. "Paypro does not know this tradeNo" (code 8000 on a query) is evidence
/// that a create call never reached Paypro only if the same queries, with the same credentials, find what Paypro does
/// have: a secret rotated out of step, a wrong salt position or another merchantNo make Paypro refuse every query alike,
/// and declaring executed payouts "never sent" then invites paying them twice. So the channel is known good only while a
/// found answer under the credentials in use is at most <see cref="PollOptions.QueryChannelWindow"/> old and no query
/// since has failed to find a transaction Paypro had accepted. What is known is kept in storage, so every instance sees
/// it. When it is stale, the transaction of the last found answer is asked about again (at most once per
/// <see cref="ProbeInterval"/> per instance). With no found answer at all (a new deployment), nothing is known good.
/// </summary>
public sealed class QueryChannel
{
    /// <summary>The least time between two tests of the channel by one instance.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMinutes(1);

    private readonly IOperationsStore _operations;
    private readonly PayproClient _paypro;
    private readonly IPayproSecretSource _secrets;
    private readonly PayproClientOptions _client;
    private readonly PollOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<QueryChannel> _logger;
    private readonly SemaphoreSlim _probeGate = new(1, 1);
    private volatile QueryChannelMark? _known;
    private volatile Fingerprint? _fingerprint;
    private int _writing;
    private DateTimeOffset _lastProbe = DateTimeOffset.MinValue;
    private bool _lastProbeFound;

    public QueryChannel(
        IOperationsStore operations,
        PayproClient paypro,
        IPayproSecretSource secrets,
        IOptions<PayproClientOptions> client,
        IOptions<PollOptions> options,
        TimeProvider time,
        ILogger<QueryChannel> logger)
    {
        _operations = operations;
        _paypro = paypro;
        _secrets = secrets;
        _client = client.Value;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Paypro found <paramref name="tradeNo"/>: the channel works. Written when what this instance last knew is older than a
    /// quarter of the window, was under other credentials, or was a failure: a steady poll writes a few times per window.
    /// </summary>
    public async Task RecordFoundAsync(string tradeNo, TransactionKind kind, CancellationToken cancellationToken)
    {
        var credentials = await CredentialsAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        if (_known is { } known && known.IsGood(credentials, now, _options.QueryChannelWindow / 4))
        {
            return;
        }
        await WriteOnceAsync(async () =>
        {
            await _operations.RecordQueryFoundAsync(now, credentials, tradeNo, kind, cancellationToken).ConfigureAwait(false);
            _known = (_known ?? new QueryChannelMark(null, null, null, kind, null, null)) with
            {
                FoundAt = now,
                FoundCredentials = credentials,
                TradeNo = tradeNo,
                Kind = kind,
            };
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// A query answered "not found" for a transaction Paypro had accepted: whatever the channel answers now cannot be
    /// trusted, so nothing is declared never sent until a query finds a transaction again.
    /// </summary>
    public async Task RecordFailedAsync(string tradeNo, CancellationToken cancellationToken)
    {
        var credentials = await CredentialsAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        if (_known is { FailedAt: { } failed } known
            && known.FailedCredentials == credentials
            && now - failed < _options.QueryChannelWindow / 4
            && !(known.FoundAt > failed))
        {
            return;
        }
        _logger.QueriesUnproven($"Paypro answered that it does not know {tradeNo}, which it had accepted", _options.QueryChannelWindow);
        await WriteOnceAsync(async () =>
        {
            await _operations.RecordQueryFailedAsync(now, credentials, cancellationToken).ConfigureAwait(false);
            _known = (_known ?? new QueryChannelMark(null, null, null, TransactionKind.Payout, null, null)) with
            {
                FailedAt = now,
                FailedCredentials = credentials,
            };
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes what was learnt, unless another check of this instance is writing already (the checks of one poll run side by
    /// side and learn the same thing). A failed write is logged and costs the check nothing: the next answer writes again.
    /// </summary>
    private async Task WriteOnceAsync(Func<Task> write)
    {
        if (Interlocked.Exchange(ref _writing, 1) == 1)
        {
            return;
        }
        try
        {
            await write().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.QueryChannelNotRecorded(ex);
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <summary>
    /// Whether the channel is known good, so that "not found" may be trusted; tests it with the transaction of the last found
    /// answer when what is stored is stale. When the answer is no, the log says so with an alert marker.
    /// </summary>
    public async Task<bool> IsKnownGoodAsync(CancellationToken cancellationToken)
    {
        var credentials = await CredentialsAsync(cancellationToken).ConfigureAwait(false);
        if (_known is { } known && known.IsGood(credentials, _time.GetUtcNow(), _options.QueryChannelWindow))
        {
            return true;
        }
        var stored = await _operations.GetQueryChannelMarkAsync(cancellationToken).ConfigureAwait(false);
        _known = stored;
        return stored is not null && stored.IsGood(credentials, _time.GetUtcNow(), _options.QueryChannelWindow)
            || await ProbeStoredAsync(stored, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether the channel works now, shown by a query rather than by what is stored: the transaction of the last found answer
    /// is asked about again (one instance asks at most once per <see cref="ProbeInterval"/> and reuses the answer). For a batch of
    /// "not found" answers with no found one among them, which a broken channel gives as well as a Paypro that lost them.
    /// </summary>
    public async Task<bool> ProveAsync(CancellationToken cancellationToken) =>
        await ProbeStoredAsync(await _operations.GetQueryChannelMarkAsync(cancellationToken).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);

    /// <summary>
    /// Tests the channel with the transaction of the stored found answer; when the answer is no, the log says why with an alert marker.
    /// </summary>
    private async Task<bool> ProbeStoredAsync(QueryChannelMark? stored, CancellationToken cancellationToken)
    {
        if (stored?.TradeNo is not { } probe)
        {
            _logger.QueriesUnproven("no status query has found a transaction yet", _options.QueryChannelWindow);
            return false;
        }
        if (await ProbeAsync(probe, stored.Kind, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }
        _logger.QueriesUnproven(
            $"a status query for {probe}, which Paypro found at {stored.FoundAt:O}, is not answered as found now",
            _options.QueryChannelWindow);
        return false;
    }

    /// <summary>
    /// Asks about a transaction Paypro had; one instance asks at most once per <see cref="ProbeInterval"/> and reuses the answer meanwhile.
    /// </summary>
    private async Task<bool> ProbeAsync(string tradeNo, TransactionKind kind, CancellationToken cancellationToken)
    {
        await _probeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_time.GetUtcNow() - _lastProbe < ProbeInterval)
            {
                return _lastProbeFound;
            }
            var result = await _paypro.QueryStatusAsync(kind, tradeNo, cancellationToken).ConfigureAwait(false);
            _lastProbe = _time.GetUtcNow();
            _lastProbeFound = result.Outcome == PayproQueryOutcome.Found;
            if (_lastProbeFound)
            {
                await RecordFoundAsync(tradeNo, kind, cancellationToken).ConfigureAwait(false);
            }
            else if (result.Outcome == PayproQueryOutcome.NotFound)
            {
                await RecordFailedAsync(tradeNo, cancellationToken).ConfigureAwait(false);
            }
            return _lastProbeFound;
        }
        finally
        {
            _probeGate.Release();
        }
    }

    /// <summary>
    /// Which credentials the queries are signed with, as a fingerprint that does not reveal the secret: HMAC-SHA256 keyed
    /// by the secret over the merchantNo, the salt position and the base URL, first 16 bytes in hex.
    /// </summary>
    private async ValueTask<string> CredentialsAsync(CancellationToken cancellationToken)
    {
        var secret = await _secrets.GetSigningSecretAsync(cancellationToken).ConfigureAwait(false);
        if (_fingerprint is { } cached && ReferenceEquals(cached.Secret, secret))
        {
            return cached.Value;
        }
        var what = Encoding.UTF8.GetBytes($"{_client.MerchantNo}\n{_client.SaltPosition}\n{_client.BaseUrl}");
        var fingerprint = new Fingerprint(
            secret,
            Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), what).AsSpan(0, 16)));
        _fingerprint = fingerprint;
        return fingerprint.Value;
    }

    /// <summary>The fingerprint of the last secret seen; a new secret instance (a rotation) makes a new one.</summary>
    private sealed record Fingerprint(string Secret, string Value)
    {
        // Records print their members; the secret must not go with them.
        public override string ToString() => Value;
    }
}
