using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry;

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

    /// <param name="args">Command-line arguments (configuration overrides as <c>--Key=value</c>).</param>
    /// <param name="configure">Lets tests replace settings or services before the app is built.</param>
    /// <param name="contentRoot">Where local.settings.json is looked for; the current directory by default.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, string? contentRoot = null) =>
        Build(args, FunctionCatalog.ForApp(), builder =>
        {
            builder.Services.AddPayproFunctions(builder.Configuration);
            builder.Services.AddPayproTelemetry(builder.Configuration).WithTracing(tracing => tracing.AddSource(FunctionInvoker.SourceName));
            configure?.Invoke(builder);
        }, contentRoot);

    /// <summary>Builds the host for the functions of <paramref name="catalog"/>; <paramref name="configure"/> registers what they need.</summary>
    internal static WebApplication Build(string[] args, FunctionCatalog catalog, Action<WebApplicationBuilder>? configure, string? contentRoot)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot });
        // Core Tools turns local.settings.json into environment variables for the worker it starts; the
        // development host reads the file itself.
        LocalSettingsConfigurationSource.AddTo(builder.Configuration, builder.Environment.ContentRootPath);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_HTTP_PORTS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        AddHost(builder, catalog);
        configure?.Invoke(builder);

        var app = builder.Build();
        MapHttpFunctions(app);
        return app;
    }

    private static void AddHost(WebApplicationBuilder builder, FunctionCatalog catalog)
    {
        var services = builder.Services;
        services.TryAddKeyedSingleton(ClockKey, TimeProvider.System);
        services.AddSingleton(catalog);
        services.AddSingleton(sp => HostJson.Load(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<FunctionInvoker>();
        services.AddSingleton<FunctionKeys>();
        services.AddOptions<DevHostOptions>().Bind(builder.Configuration.GetSection(DevHostOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DevHostOptions>, DevHostOptionsValidator>();
        services.AddSingleton<IValidateOptions<DevHostOptions>, DevHostKeysValidator>();
        services.AddHostedService<DevHostTriggers>();

        // Under the host the worker takes the caller's address from X-Forwarded-For (its rightmost entry);
        // this does the same, so the notify allow-list sees what it would see in Azure.
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            options.ForwardLimit = 1;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
        });

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

    private static void MapHttpFunctions(WebApplication app)
    {
        app.UseForwardedHeaders();
        var catalog = app.Services.GetRequiredService<FunctionCatalog>();
        var hostJson = app.Services.GetRequiredService<HostJson>();
        var keys = app.Services.GetRequiredService<FunctionKeys>();
        var invoker = app.Services.GetRequiredService<FunctionInvoker>();
        var prefix = hostJson.RoutePrefix.Length == 0 ? "" : "/" + hostJson.RoutePrefix;
        foreach (var function in catalog.Http)
        {
            app.MapMethods(prefix + "/" + function.Route, function.Methods.Select(m => m.ToUpperInvariant()).ToArray(),
                    context => InvokeHttpAsync(function, keys, invoker, context))
                .WithName(function.Name)
                .WithDisplayName(function.Name);
        }
    }

    private static async Task InvokeHttpAsync(HttpFunction function, FunctionKeys keys, FunctionInvoker invoker, HttpContext context)
    {
        if (!keys.Allows(function.AuthLevel, context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        var result = await invoker.InvokeAsync(function, context.RequestServices, parameter =>
            parameter.ParameterType == typeof(HttpRequest) ? context.Request
            : parameter.ParameterType == typeof(HttpContext) ? context
            : parameter.ParameterType == typeof(string) && context.Request.RouteValues.TryGetValue(parameter.Name!, out var value) ? value?.ToString()
            : throw FunctionInvoker.Unsupported(function, parameter), context.RequestAborted).ConfigureAwait(false);
        switch (result)
        {
            case IResult httpResult:
                await httpResult.ExecuteAsync(context).ConfigureAwait(false);
                break;
            case null:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            default:
                throw new NotSupportedException($"Function {function.Name} returned {result.GetType().Name}; the development host answers IResult only.");
        }
    }
}
