using Azure.Storage.Queues;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using Paypro.Functions.Storage;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.DevHost;

/// <summary>
/// A development and test host for the function app: it runs the same function classes as the Functions host,
/// with the host's semantics (routes, methods and authorization levels from the function attributes, function keys,
/// queue triggers with visibility, dequeue count and poison queues, timer schedules, host.json settings), so the
/// app runs locally and in end-to-end tests without Azure Functions Core Tools. It is not a production hosting mode.
/// </summary>
public static class DevelopmentHost
{
    /// <summary>Where the host listens when no URL is configured: the port Core Tools uses.</summary>
    public const string DefaultUrl = "http://127.0.0.1:7071";

    /// <summary>
    /// The key of the host's own clock, a keyed <see cref="TimeProvider"/>: queue polling, message leases and timer
    /// schedules run on it. It is <see cref="TimeProvider.System"/> unless one is registered under this key, and it is
    /// not the app's <see cref="TimeProvider"/>, as the Functions host is a process of its own: a test that moves the
    /// app's clock ahead moves the app's due times and grace periods, not the host's triggers.
    /// </summary>
    public const string ClockKey = "Paypro.Functions.DevHost.Clock";

    /// <summary>
    /// The setting that turns the development host into a host emulator: the folder of the built (or published) worker,
    /// with its worker.config.json. Unset, the function classes run in-process.
    /// </summary>
    public const string WorkerDirectorySetting = DevHostOptions.SectionName + ":" + nameof(DevHostOptions.WorkerDirectory);

    /// <param name="args">Command-line arguments (configuration overrides as <c>--Key=value</c>).</param>
    /// <param name="configure">Lets tests replace settings or services before the app is built.</param>
    /// <param name="contentRoot">Where local.settings.json is looked for; the current directory by default.</param>
    /// <remarks>
    /// With <c>DevHost:WorkerDirectory</c> set, the host emulator: the real worker runs as a process of its own and the
    /// functions run in it over the host's gRPC protocol. Otherwise the function classes run in this process.
    /// </remarks>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, string? contentRoot = null)
    {
        var builder = CreateBuilder(args, contentRoot);
        if (!string.IsNullOrEmpty(builder.Configuration[WorkerDirectorySetting]))
        {
            AddHost(builder, new HostedFunctions());
            Emulator.WorkerEmulator.AddTo(builder);
        }
        else
        {
            AddInProcess(builder, FunctionCatalog.ForApp());
            builder.Services.AddPayproFunctions(builder.Configuration);
            builder.Services.AddPayproTelemetry(builder.Configuration)
                .WithTracing(tracing => tracing.AddSource(FunctionInvoker.SourceName));
        }
        return Build(builder, configure);
    }

    /// <summary>
    /// Builds the host for the functions of <paramref name="catalog"/>, in-process; <paramref name="configure"/> registers what they need.
    /// </summary>
    internal static WebApplication Build(
        string[] args,
        FunctionCatalog catalog,
        Action<WebApplicationBuilder>? configure,
        string? contentRoot)
    {
        var builder = CreateBuilder(args, contentRoot);
        AddInProcess(builder, catalog);
        return Build(builder, configure);
    }

    private static WebApplicationBuilder CreateBuilder(string[] args, string? contentRoot)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot });
        // Core Tools turns local.settings.json into environment variables for the worker it starts; the
        // development host reads the file itself.
        LocalSettingsConfigurationSource.AddTo(builder.Configuration, builder.Environment.ContentRootPath);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey])
            && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_HTTP_PORTS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        return builder;
    }

    private static WebApplication Build(WebApplicationBuilder builder, Action<WebApplicationBuilder>? configure)
    {
        // Registered after the emulator's worker, so the triggers start once the worker has reported its functions.
        builder.Services.AddHostedService<DevHostTriggers>();
        // The host's own: a trigger's message that is not base64 goes to the poison queue, in the host's process.
        builder.Services.AddOptions<QueueClientOptions>(StorageAccount.ClientName).Configure<ILoggerFactory>((options, loggers) =>
            QueueListener.MoveUndecodableToPoison(options, loggers.CreateLogger(QueueListener.LogCategory)));
        configure?.Invoke(builder);
        var app = builder.Build();
        app.UseForwardedHeaders();
        ((IEndpointRouteBuilder)app).DataSources.Add(app.Services.GetRequiredService<FunctionEndpointDataSource>());
        return app;
    }

    private static void AddInProcess(WebApplicationBuilder builder, FunctionCatalog catalog)
    {
        AddHost(builder, new HostedFunctions(catalog));
        builder.Services.AddSingleton<FunctionInvoker>();
        builder.Services.AddSingleton<IFunctionInvocation, InProcessInvocation>();
        // Under the host the worker takes the caller's address from X-Forwarded-For (its rightmost entry);
        // in-process, this does the same, so the notify allow-list sees what it would see in Azure.
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            options.ForwardLimit = 1;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
        });
    }

    private static void AddHost(WebApplicationBuilder builder, HostedFunctions functions)
    {
        var services = builder.Services;
        services.TryAddKeyedSingleton(ClockKey, TimeProvider.System);
        services.AddSingleton(functions);
        services.AddSingleton(sp => HostJson.Load(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<FunctionKeys>();
        services.AddSingleton<FunctionEndpointDataSource>();
        services.AddOptions<DevHostOptions>().Bind(builder.Configuration.GetSection(DevHostOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DevHostOptions>, DevHostOptionsValidator>();
        services.AddSingleton<IValidateOptions<DevHostOptions>, DevHostKeysValidator>();

        // One line per entry keeps the PAYPRO_* alert markers greppable. ASP.NET Core's line per request is
        // noise here; Logging__LogLevel__Microsoft.AspNetCore brings it back.
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        if (builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] is null)
        {
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        }
    }
}
