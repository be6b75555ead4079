using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paypro.Functions.DevHost;
using Paypro.Sandbox;

namespace Paypro.Load;

/// <summary>What a scenario needs of its environment.</summary>
public sealed class EnvironmentOptions
{
    /// <summary>Keep storage on disk, so that stopping and starting it again loses nothing.</summary>
    public bool PersistentStorage { get; init; }

    /// <summary>
    /// Run the app as deployed: the real worker process under the host emulator, a child process of this tool (so it
    /// can be killed); the function classes in this process otherwise, where a scenario counts through the app's services.
    /// </summary>
    public bool AppUnderEmulator { get; init; }

    /// <summary>Start the app with the environment; false when a scenario starts its own instances.</summary>
    public bool StartApp { get; init; } = true;

    /// <summary>Changes the sandbox's settings before it starts.</summary>
    public Action<SandboxOptions>? Sandbox { get; init; }

    /// <summary>Settings of the app on top of the defaults below (configuration keys with ':'); null removes a default.</summary>
    public IReadOnlyDictionary<string, string?> AppSettings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Notes when each event reached the events queue (in-process app only).</summary>
    public bool RecordEventSends { get; init; }

    /// <summary>Counts the app's Table Storage round trips (in-process app only).</summary>
    public StorageCounter? StorageCounter { get; init; }

    /// <summary>Keeps the app's warnings and errors (in-process app only).</summary>
    public LogCapture? Logs { get; init; }

    /// <summary>Meters the app's Paypro queries (in-process app only).</summary>
    public PayproCallMeter? Queries { get; init; }
}

/// <summary>
/// The whole product on loopback for one scenario: Azurite (two child processes), the Paypro sandbox (in this
/// process) and the function app: the real worker under the host emulator (child processes), or the function classes
/// on the development host in this process. Tables and
/// queues carry a per-run id, so a run never sees another's data. Disposing stops all of it, whatever state the
/// run ended in.
/// </summary>
public sealed class LoadEnvironment : IAsyncDisposable
{
    public const string FunctionKey = "load-function-key-0123456789";
    public const string MasterKey = "load-master-key-0123456789";

    private readonly string _repositoryRoot;
    private readonly string _contentRoot;
    private readonly EnvironmentOptions _options;
    private readonly string _appLogLevel;
    private IReadOnlyDictionary<string, string?> _appSettings;
    private WebApplication? _app;
    private ChildApp? _child;

    private LoadEnvironment(string id, string repositoryRoot, string contentRoot, EnvironmentOptions options, string appLogLevel)
    {
        Id = id;
        _repositoryRoot = repositoryRoot;
        _contentRoot = contentRoot;
        _options = options;
        _appLogLevel = appLogLevel;
        _appSettings = options.AppSettings;
        EventSends = new EventSendRecorder(EventsQueue);
    }

    public string Id { get; }
    public Azurite Azurite { get; private set; } = null!;
    public SandboxHost Sandbox { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public QueueServiceClient Queues { get; private set; } = null!;
    public TableServiceClient Tables { get; private set; } = null!;
    public EventSendRecorder EventSends { get; }

    /// <summary>The app's tables through a client of this tool, which no counter of the app sees.</summary>
    public Stores Store { get; private set; } = null!;

    /// <summary>The app in this process, when it runs here.</summary>
    public WebApplication? App => _app;

    /// <summary>The app as deployed (the host emulator and its worker, child processes), when it runs so.</summary>
    public ChildApp? Child => _child;

    public string PayoutsQueue => $"load-payouts-{Id}";
    public string PayinsQueue => $"load-payins-{Id}";
    public string EventsQueue => $"load-events-{Id}";
    public string TablePrefix => $"L{Id}";
    public string TransactionsTable => TablePrefix + "Transactions";
    public string AuditTable => TablePrefix + "Audit";
    public string DueTable => TablePrefix + "Due";
    public string NotifyPathAndQuery => $"/api/paypro/notify?code={FunctionKey}";

    /// <summary>The folder the app's settings give as its content root (local.settings.json is looked for there).</summary>
    public string ContentRoot => _contentRoot;

    public static async Task<LoadEnvironment> StartAsync(
        string repositoryRoot,
        string appLogLevel,
        EnvironmentOptions options,
        CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var contentRoot = Path.Combine(Path.GetTempPath(), "paypro-load-" + id);
        Directory.CreateDirectory(contentRoot);
        var environment = new LoadEnvironment(id, repositoryRoot, contentRoot, options, appLogLevel);
        try
        {
            // In memory, or on disk when a scenario stops storage and starts it again and needs what was written to survive.
            var storage = options.PersistentStorage ? AzuriteStorage.OnDisk : AzuriteStorage.InMemory;
            environment.Azurite = await Azurite.StartAsync(repositoryRoot, tables: storage, queues: storage, cancellationToken);
            environment.Queues = environment.Azurite.CreateQueueServiceClient();
            environment.Tables = environment.Azurite.CreateTableServiceClient();
            environment.Store = new Stores(environment.Tables, environment.TablePrefix);

            environment.Sandbox = await SandboxHost.StartAsync(sandbox =>
            {
                sandbox.ControlEnabled = true;
                // By default a payout stays processing at Paypro for a day (every mobile of the tool ends in 13 unless
                // a scenario says otherwise), so the sandbox sends no callback of its own.
                sandbox.LongProcessingDelay = TimeSpan.FromDays(1);
                sandbox.SuccessDelay = TimeSpan.FromDays(1);
                options.Sandbox?.Invoke(sandbox);
            }, cancellationToken);

            // Not port 0: the app's notify URL (its port) is in its settings before it starts, and a child app is
            // started again on the same port after a kill (FreeLoopbackPort says more).
            var port = FreeLoopbackPort.Probe();
            environment.BaseAddress = new Uri($"http://127.0.0.1:{port}");
            environment.Sandbox.Options.DefaultNotifyUrl = new Uri(environment.BaseAddress, environment.NotifyPathAndQuery).AbsoluteUri;
            if (options.StartApp)
            {
                await environment.StartAppAsync(cancellationToken);
            }
            return environment;
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// What every host this tool starts is given, the app's and the bare workers': the storage account, the function
    /// and master keys, its address, and a quiet log.
    /// </summary>
    private Dictionary<string, string?> HostValues(Uri address) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["AzureWebJobsStorage"] = Azurite.ConnectionString,
        ["DevHost:FunctionKey"] = FunctionKey,
        ["DevHost:MasterKey"] = MasterKey,
        ["urls"] = address.AbsoluteUri.TrimEnd('/'),
        ["hostBuilder:reloadConfigOnChange"] = "false",
        // One information line per transition would be thousands of console lines, and writing them
        // would be part of what is measured; warnings and errors still show.
        ["Logging:LogLevel:Default"] = _appLogLevel,
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
    };

    /// <summary>The app's settings: the tool's defaults, then the scenario's.</summary>
    private Dictionary<string, string> AppValues()
    {
        var values = HostValues(BaseAddress);
        values["Storage:TablePrefix"] = TablePrefix;
        values["PayoutsQueueName"] = PayoutsQueue;
        values["PayinsQueueName"] = PayinsQueue;
        values["EventsQueueName"] = EventsQueue;
        // The poller runs only where a scenario gives it a schedule.
        values["PollSchedule"] = "0 0 0 1 1 *";
        values["AuditPurgeSchedule"] = "0 0 0 1 1 *";
        values["ReconcileSchedule"] = "0 0 0 1 1 *";
        values["Paypro:BaseUrl"] = Sandbox.BaseUrl.AbsoluteUri;
        values["Paypro:MerchantNo"] = Sandbox.Options.MerchantNo;
        values["Paypro:AppSecret"] = Sandbox.Options.AppSecret;
        // A busy machine must not turn create calls into "unknown" outcomes while seeding.
        values["Paypro:RequestTimeout"] = "00:00:30";
        values["Paypro:NotifyUrl"] = new Uri(BaseAddress, NotifyPathAndQuery).AbsoluteUri;
        values["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.500";
        foreach (var (key, value) in _appSettings)
        {
            values[key] = value;
        }
        return values.Where(v => v.Value is not null).ToDictionary(v => v.Key, v => v.Value!, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The command line of the host emulator for the worker in <paramref name="workerDirectory"/>: the app's settings,
    /// which the emulator hands to the worker as its environment, as the host does, and its log of the workers it
    /// starts (events 2031 and 2032 name each worker's process id).
    /// </summary>
    public string[] EmulatorArguments(string workerDirectory) =>
    [
        .. AppValues().Select(v => $"--{v.Key}={v.Value}"),
        $"--{Paypro.Functions.DevHost.DevelopmentHost.WorkerDirectorySetting}={workerDirectory}",
        ChildApp.WorkerLogArgument,
    ];

    /// <summary>Starts the app (again), with the scenario's settings and <paramref name="settings"/> on top when given.</summary>
    public async Task StartAppAsync(CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? settings = null)
    {
        if (settings is not null)
        {
            var merged = new Dictionary<string, string?>(_options.AppSettings, StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in settings)
            {
                merged[key] = value;
            }
            _appSettings = merged;
        }
        if (_options.AppUnderEmulator)
        {
            _child ??= new ChildApp(_contentRoot, BaseAddress.Port);
            await _child.StartAsync(EmulatorArguments(AppBuild.WorkerDirectory(_repositoryRoot)), cancellationToken);
            return;
        }
        if (_app is not null)
        {
            throw new InvalidOperationException("The app is running already.");
        }
        _app = await StartInProcessAsync(AppValues(), cancellationToken);
    }

    /// <summary>
    /// A second instance of the app beside the one under the emulator: its function classes in this process on the
    /// development host, on tables of their own (<paramref name="tablePrefix"/>) and a port of their own. The same app
    /// without the host's hop, side by side in one run; stopped with <see cref="Loopback.StopServerAsync"/>.
    /// </summary>
    public async Task<WebApplication> StartInProcessAppAsync(string tablePrefix, CancellationToken cancellationToken)
    {
        var values = AppValues();
        values["Storage:TablePrefix"] = tablePrefix;
        values["urls"] = $"http://127.0.0.1:{FreeLoopbackPort.Probe()}";
        return await StartInProcessAsync(values, cancellationToken);
    }

    /// <summary>
    /// The bare worker under a host emulator of its own, on a port of its own: the notify baseline hosted as the app is,
    /// on the tables of <paramref name="tablePrefix"/>, sending its events to <paramref name="eventsQueue"/> (with none,
    /// it makes three table round trips instead; see <see cref="BareNotify"/>). Its function key is the app's. Disposing
    /// the returned app stops both processes.
    /// </summary>
    public async Task<(ChildApp Host, Uri BaseAddress)> StartBareWorkerAsync(
        string tablePrefix,
        string? eventsQueue,
        CancellationToken cancellationToken)
    {
        var address = new Uri($"http://127.0.0.1:{FreeLoopbackPort.Probe()}");
        var host = new ChildApp(_contentRoot, address.Port);
        var values = HostValues(address);
        values["Storage:TablePrefix"] = tablePrefix;
        values["Bare:TablePrefix"] = tablePrefix;
        values["Bare:EventsQueue"] = eventsQueue;
        string[] arguments =
        [
            .. values.Where(v => v.Value is not null).Select(v => $"--{v.Key}={v.Value}"),
            $"--{Paypro.Functions.DevHost.DevelopmentHost.WorkerDirectorySetting}={AppBuild.BareWorkerDirectory(_repositoryRoot)}",
            ChildApp.WorkerLogArgument,
        ];
        try
        {
            await host.StartAsync(arguments, cancellationToken);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return (host, address);
    }

    private async Task<WebApplication> StartInProcessAsync(Dictionary<string, string> values, CancellationToken cancellationToken)
    {
        var args = values.Select(v => $"--{v.Key}={v.Value}").ToArray();
        var app = DevelopmentHost.Build(args, builder =>
        {
            if (_options.RecordEventSends)
            {
                // The same client the app builds (base64 messages), plus the recorder of event sends. Registered
                // after the app's own, so this one is resolved.
                var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
                queueOptions.AddPolicy(EventSends, HttpPipelinePosition.PerRetry);
                builder.Services.AddSingleton(new QueueServiceClient(Azurite.ConnectionString, queueOptions));
            }
            if (_options.StorageCounter is { } counter)
            {
                var tableOptions = new TableClientOptions();
                tableOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
                builder.Services.AddSingleton(new TableServiceClient(Azurite.ConnectionString, tableOptions));
            }
            if (_options.Logs is { } logs)
            {
                builder.Logging.AddProvider(logs);
            }
            if (_options.Queries is { } meter)
            {
                // Added after the app's resilience handler, so it is nearer the wire: every attempt passes it.
                builder.Services.AddHttpClient(PayproClient.QueryHttpClientName).AddHttpMessageHandler(meter.CreateHandler);
            }
        }, _contentRoot);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return app;
    }

    /// <summary>Stops the app gracefully (storage and the sandbox keep running).</summary>
    public async Task StopAppAsync()
    {
        if (_child is { } child)
        {
            await child.StopAsync();
        }
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            try
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await app.StopAsync(stop.Token);
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"stopping the app: {ex.GetType().Name}: {ex.Message}");
            }
            await app.DisposeAsync();
        }
    }

    /// <summary>Runs one poll now, in the app's own services, as the timer would (in-process app only).</summary>
    public async Task PollOnceAsync(CancellationToken cancellationToken)
    {
        var app = _app ?? throw new InvalidOperationException("The app does not run in this process.");
        using var scope = app.Services.CreateScope();
        var poll = ActivatorUtilities.CreateInstance<Paypro.Functions.Functions.PollPendingTransactions>(scope.ServiceProvider);
        await poll.Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        if (_child is { } child)
        {
            await child.DisposeAsync();
        }
        if (Sandbox is { } sandbox)
        {
            try
            {
                await sandbox.DisposeAsync();
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"stopping the sandbox: {ex.GetType().Name}: {ex.Message}");
            }
        }
        if (Azurite is { } azurite)
        {
            await azurite.DisposeAsync();
        }
        try
        {
            Directory.Delete(_contentRoot, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
