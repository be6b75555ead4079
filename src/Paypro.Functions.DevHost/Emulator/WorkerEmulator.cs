using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Storage;

namespace Paypro.Functions.DevHost.Emulator;

/// <summary>
/// The host emulator's worker: serves the host's gRPC protocol on a loopback port of its own (HTTP/2), starts the
/// worker process, waits until it has initialised and loaded its functions, and publishes them as the host's
/// functions. A worker that stops before it is ready stops the emulator with the worker's own reason; a worker that
/// dies later is restarted, with a growing pause between restarts, and a restart that cannot get it ready again stops
/// the emulator rather than loop.
/// </summary>
internal sealed class WorkerEmulator(
    IOptions<DevHostOptions> options,
    HostedFunctions functions,
    WorkerConnections connections,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    /// <summary>How long a worker may take from process start to its functions loaded.</summary>
    internal static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(2);

    /// <summary>How long a worker asked to stop (WorkerTerminate) has before it is killed.</summary>
    internal static readonly TimeSpan TerminateGracePeriod = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan FirstRestartDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRestartDelay = TimeSpan.FromSeconds(30);

    private readonly ILogger _logger = loggerFactory.CreateLogger("Paypro.Functions.DevHost.Worker");
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _server;
    private Uri? _endpoint;
    private WorkerConfig? _config;
    private TaskCompletionSource<(WorkerChannel Channel, WorkerProcess Process)> _ready =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _supervising = Task.CompletedTask;
    private int _disposed;

    /// <summary>
    /// Registers the emulator: the worker, the gRPC invocation, and the storage clients the queue triggers and a local run need.
    /// </summary>
    public static void AddTo(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<WorkerConnections>();
        services.AddSingleton<WorkerEmulator>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerEmulator>());
        services.AddSingleton<IFunctionInvocation, WorkerInvocation>();
        // The queue triggers read with the same storage clients as the app; the app's own services live in the worker.
        services.AddStorageClients(builder.Configuration);
        services.AddOptions<StorageOptions>().Bind(builder.Configuration.GetSection(StorageOptions.SectionName));
        QueueNames.Register(services, builder.Configuration);
        services.AddSingleton<StorageProvisioner>();
        // As in the app: the Azure SDK's line per request only when asked for.
        if (builder.Configuration[PayproFunctionsExtensions.AzureSdkLogLevelSetting] is null)
        {
            builder.Logging.AddFilter(PayproFunctionsExtensions.AzureSdkLogCategory, LogLevel.Error);
        }
    }

    /// <summary>The worker that is ready now, or the next one once it is (after a restart).</summary>
    public async Task<WorkerChannel> GetChannelAsync(CancellationToken cancellationToken) =>
        (await _ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false)).Channel;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _config = WorkerConfig.Read(options.Value.WorkerDirectory!);
        _server = BuildServer(connections);
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _endpoint = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));

        var (channel, process) = await StartWorkerAsync(cancellationToken).ConfigureAwait(false);
        functions.Set(FunctionCatalog.FromWorkerMetadata(channel.Functions.Select(f => (f.Name, (IEnumerable<string>)f.RawBindings))));
        var keys = new DevHostKeysValidator(functions).Validate(null, options.Value);
        if (keys.Failed)
        {
            await StopWorkerAsync(channel, process).ConfigureAwait(false);
            throw new OptionsValidationException(DevHostOptions.SectionName, typeof(DevHostOptions), keys.Failures);
        }
        _ready.TrySetResult((channel, process));
        _supervising = SuperviseAsync(channel, process, _stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _supervising.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_ready.Task.IsCompletedSuccessfully)
        {
            var (channel, process) = _ready.Task.Result;
            await StopWorkerAsync(channel, process).ConfigureAwait(false);
        }
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as a hosted service, so the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _stopping.Cancel();
        // A host that failed to start is disposed without being stopped: its worker must not outlive it.
        if (_ready.Task.IsCompletedSuccessfully)
        {
            _ready.Task.Result.Process.Kill();
        }
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
        _stopping.Dispose();
    }

    private static WebApplication BuildServer(WorkerConnections connections)
    {
        // An empty builder: none of the emulator's own settings (its URLs above all) apply to the protocol's port.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddRoutingCore();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = WorkerProcess.GrpcMaxMessageLength;
            grpc.MaxSendMessageSize = WorkerProcess.GrpcMaxMessageLength;
        });
        builder.Services.AddSingleton(connections);
        var server = builder.Build();
        server.UseRouting();
        server.MapGrpcService<FunctionRpcService>();
        return server;
    }

    private async Task<(WorkerChannel, WorkerProcess)> StartWorkerAsync(CancellationToken cancellationToken)
    {
        var config = _config!;
        var channel = new WorkerChannel(Guid.NewGuid().ToString(), loggerFactory);
        connections.Add(channel);
        var process = WorkerProcess.Start(
            config,
            _endpoint!,
            channel.WorkerId,
            Guid.NewGuid().ToString(),
            WorkerEnvironment(config),
            _logger);
        _logger.WorkerStarted(process.Id, config.WorkerPath);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(StartupTimeout);
            var initializing = InitializeAsync(channel, config, deadline.Token);
            if (await Task.WhenAny(initializing, process.Exited).ConfigureAwait(false) != initializing)
            {
                channel.Close(new WorkerUnavailableException("The worker exited."));
                throw new WorkerStartupException(
                    $"The worker stopped before it was ready (exit code {await process.Exited.ConfigureAwait(false)})."
                        + $" It said:{Environment.NewLine}"
                        + process.LastOutput());
            }
            try
            {
                await initializing.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new WorkerStartupException(
                    $"The worker was not ready within {StartupTimeout}. It said:{Environment.NewLine}{process.LastOutput()}");
            }
            _logger.WorkerReady(process.Id, channel.Functions.Count, channel.HttpUri);
            return (channel, process);
        }
        catch
        {
            await StopWorkerAsync(channel, process).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task InitializeAsync(WorkerChannel channel, WorkerConfig config, CancellationToken cancellationToken)
    {
        await channel.Connected.WaitAsync(cancellationToken).ConfigureAwait(false);
        await channel.InitializeAsync(config.Directory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The worker's environment, as the host gives it: the app settings (configuration keys with <c>__</c> for
    /// <c>:</c>, the emulator's own section left out) and the host's FUNCTIONS_* variables.
    /// </summary>
    private IEnumerable<KeyValuePair<string, string>> WorkerEnvironment(WorkerConfig config)
    {
        string[] hostOnly =
        [
            DevHostOptions.SectionName,
            WebHostDefaults.ServerUrlsKey,
            WebHostDefaults.ContentRootKey,
            WebHostDefaults.ApplicationKey
        ];
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (value is null
                || hostOnly.Any(name => key.Equals(name, StringComparison.OrdinalIgnoreCase)
                    || key.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            yield return new(key.Replace(":", "__", StringComparison.Ordinal), value);
        }
        yield return new("FUNCTIONS_WORKER_RUNTIME", "dotnet-isolated");
        yield return new("FUNCTIONS_WORKER_RUNTIME_VERSION", $"{Environment.Version.Major}.0");
        yield return new("FUNCTIONS_WORKER_DIRECTORY", config.Directory);
        yield return new("FUNCTIONS_APPLICATION_DIRECTORY", config.Directory);
        yield return new("AzureWebJobsScriptRoot", config.Directory);
    }

    /// <summary>Restarts the worker whenever it exits, until the emulator stops or a restart fails.</summary>
    private async Task SuperviseAsync(WorkerChannel channel, WorkerProcess process, CancellationToken stopping)
    {
        var delay = FirstRestartDelay;
        while (true)
        {
            var startedAt = DateTimeOffset.UtcNow;
            await ((Task)process.Exited).WaitAsync(stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stopping.IsCancellationRequested)
            {
                return;
            }
            // A worker that ran a while earns a quick restart again; one that keeps dying waits longer each time.
            delay = DateTimeOffset.UtcNow - startedAt > LongestRestartDelay * 2 ? FirstRestartDelay : delay;
            _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
            channel.Close(new WorkerUnavailableException($"The worker exited with code {process.Exited.Result}."));
            connections.Remove(channel);
            _logger.WorkerExited(process.Id, process.Exited.Result, delay);
            process.Dispose();
            try
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
                (channel, process) = await StartWorkerAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.WorkerRestartFailed(ex, ex.Message);
                lifetime.StopApplication();
                return;
            }
            _ready.TrySetResult((channel, process));
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRestartDelay.Ticks));
        }
    }

    private async Task StopWorkerAsync(WorkerChannel channel, WorkerProcess process)
    {
        channel.Terminate(TerminateGracePeriod);
        await ((Task)process.Exited).WaitAsync(TerminateGracePeriod).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        process.Kill();
        await ((Task)process.Exited).WaitAsync(TerminateGracePeriod).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        channel.Close(new WorkerUnavailableException("The worker was stopped."));
        connections.Remove(channel);
    }
}
