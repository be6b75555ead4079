using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Paypro.Sandbox.Callbacks;
using Paypro.Sandbox.Transactions;

namespace Paypro.Sandbox;

/// <summary>
/// The sandbox running inside a test process, on 127.0.0.1 with a free port. Settings come only from
/// the <c>configure</c> callback (not from the environment or appsettings), so runs repeat. The
/// control endpoints are on unless <c>configure</c> turns them off.
/// </summary>
/// <example>
/// <code>
/// await using var sandbox = await SandboxHost.StartAsync(o => o.TimeScale = 0.001);
/// sandbox.Faults.Add(new SandboxFault { Endpoint = "/api/payout", Kind = FaultKind.ExecuteThenTimeout });
/// // point the client at sandbox.BaseUrl, merchant sandbox.Options.MerchantNo, secret sandbox.Options.AppSecret
/// </code>
/// </example>
public sealed class SandboxHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly PayproEmulator _paypro;
    private readonly CallbackDispatcher _callbacks;
    private int _disposed;

    private SandboxHost(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        Options = app.Services.GetRequiredService<SandboxOptions>();
        Ledger = app.Services.GetRequiredService<SandboxLedger>();
        Faults = app.Services.GetRequiredService<SandboxFaults>();
        _paypro = app.Services.GetRequiredService<PayproEmulator>();
        _callbacks = app.Services.GetRequiredService<CallbackDispatcher>();
        Time = app.Services.GetRequiredService<TimeProvider>();
    }

    /// <summary>The sandbox's address, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>
    /// The live settings. Changing <see cref="SandboxOptions.SignCallbacks"/>,
    /// <see cref="SandboxOptions.DefaultNotifyUrl"/>, <see cref="SandboxOptions.NotifyUrlOverride"/>,
    /// the secret or the delays takes effect for the next request or callback.
    /// </summary>
    public SandboxOptions Options { get; }

    /// <summary>Executed transactions, received requests and the balance.</summary>
    public SandboxLedger Ledger { get; }

    /// <summary>The active faults.</summary>
    public SandboxFaults Faults { get; }

    /// <summary>The sandbox's clock: its processing delays, callback schedule and timestamps run on it.</summary>
    public TimeProvider Time { get; }

    /// <summary>Every callback attempt made so far, in order.</summary>
    public IReadOnlyList<CallbackAttempt> CallbackAttempts => _callbacks.Attempts;

    /// <summary>Every callback produced so far (including dropped and held ones), in order.</summary>
    public IReadOnlyList<CallbackNotification> Callbacks => _callbacks.Notifications;

    /// <summary>Starts a sandbox on a free loopback port.</summary>
    /// <param name="configure">Changes the settings before start.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is invalid; the message names it.</exception>
    public static Task<SandboxHost> StartAsync(Action<SandboxOptions>? configure = null, CancellationToken cancellationToken = default) =>
        StartAsync(configure, TimeProvider.System, cancellationToken);

    /// <summary>
    /// Starts a sandbox whose clock is <paramref name="timeProvider"/> (a <c>FakeTimeProvider</c> makes its schedule exact).
    /// </summary>
    /// <param name="configure">Changes the settings before start.</param>
    /// <param name="timeProvider">The sandbox's clock and timers.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static Task<SandboxHost> StartAsync(
        Action<SandboxOptions>? configure,
        TimeProvider timeProvider,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return StartAsync(configure, builder => builder.Services.AddSingleton(timeProvider), cancellationToken);
    }

    internal static async Task<SandboxHost> StartAsync(
        Action<SandboxOptions>? configure,
        Action<WebApplicationBuilder>? configureBuilder,
        CancellationToken cancellationToken)
    {
        // No file watchers (a test run starts many hosts and inotify instances are few), and no
        // configuration but the callback's.
        var app = SandboxApp.Build(["--hostBuilder:reloadConfigOnChange=false"], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection([new("urls", "http://127.0.0.1:0")]);
            builder.Logging.ClearProviders();
            builder.Services.Configure<SandboxOptions>(options =>
            {
                options.ControlEnabled = true;
                configure?.Invoke(options);
            });
            configureBuilder?.Invoke(builder);
        });
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>()
                .Features.GetRequiredFeature<IServerAddressesFeature>()
                .Addresses.First();
            return new SandboxHost(app, new Uri(address.EndsWith('/') ? address : address + "/"));
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Back to the start: ledger, request and callback logs emptied, pending results and callbacks cancelled, balance and
    /// configured faults restored.
    /// </summary>
    public void Reset() => _paypro.Reset();

    /// <summary>
    /// Sets a transaction's status by hand (also after it became final, to test contradicting
    /// results) and, unless <paramref name="notify"/> is false, sends a callback with it.
    /// </summary>
    /// <param name="kind">Payout, or Payin / Checkout (one space).</param>
    /// <param name="tradeNo">The merchant's id.</param>
    /// <param name="status"><c>0000</c> or a failure status such as <c>00029</c>.</param>
    /// <param name="message">The status text; by default the usual one for the status.</param>
    /// <param name="notify">Whether to send a callback.</param>
    /// <returns>The transaction as it now stands, or null when there is no such transaction.</returns>
    /// <exception cref="ArgumentException"><paramref name="status"/> is not a final status.</exception>
    public SandboxLedgerEntry? SetTransactionStatus(
        SandboxTransactionKind kind,
        string tradeNo,
        string status,
        string? message = null,
        bool notify = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(tradeNo);
        if (!TestInputs.IsFinalStatus(status))
        {
            throw new ArgumentException(TestInputs.FinalStatusRule, nameof(status));
        }
        return _paypro.SetStatus(kind, tradeNo, status, message, notify);
    }

    /// <summary>
    /// Changes the amount Paypro has for a transaction (also after it became final, to test a transaction executed with another
    /// amount) and, when <paramref name="notify"/> is true, sends a callback with it.
    /// </summary>
    /// <returns>The transaction as it now stands, or null when there is no such transaction.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is below 1.</exception>
    public SandboxLedgerEntry? SetTransactionAmount(SandboxTransactionKind kind, string tradeNo, long amount, bool notify = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(tradeNo);
        ArgumentOutOfRangeException.ThrowIfLessThan(amount, 1);
        return _paypro.SetAmount(kind, tradeNo, amount, notify);
    }

    /// <summary>Paypro loses its record of a transaction: its status queries answer "not found" (code 8000) from now on.</summary>
    /// <returns>The transaction as it stood, or null when there is no such transaction.</returns>
    public SandboxLedgerEntry? ForgetTransaction(SandboxTransactionKind kind, string tradeNo)
    {
        ArgumentException.ThrowIfNullOrEmpty(tradeNo);
        return _paypro.Forget(kind, tradeNo);
    }

    /// <summary>
    /// Sends a new callback with the transaction's current state (a fresh timestamp and sign), subject to callback faults.
    /// </summary>
    /// <returns>The new callback, or null when there is no such transaction.</returns>
    public CallbackNotification? Redeliver(SandboxTransactionKind kind, string tradeNo)
    {
        ArgumentException.ThrowIfNullOrEmpty(tradeNo);
        return _paypro.Redeliver(kind, tradeNo);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
