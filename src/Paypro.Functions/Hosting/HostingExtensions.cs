using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Hosting;

/// <summary>Wires the hosting layer: the custom-handler protocol under the Functions host, and self-hosted mode.</summary>
public static class HostingExtensions
{
    /// <summary>
    /// Adds the hosting services: <see cref="HostingOptions"/> (section <c>Hosting</c>, validated at start-up),
    /// where Kestrel listens, the self-hosted queue and timer listeners, the function-key check and console
    /// logging on one line per entry. Self-hosted, it also reads a Core Tools local.settings.json.
    /// </summary>
    public static WebApplicationBuilder AddFunctionsHosting(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(service => service.ServiceType == typeof(FunctionInvoker)))
        {
            return builder;
        }

        // Core Tools turns local.settings.json into environment variables for the process it starts; without
        // the host the app reads the file itself. The mode is read early here, from what is configured so far.
        if (!IsUnderHost(builder.Configuration))
        {
            LocalSettingsConfigurationSource.AddTo(builder.Configuration, builder.Environment.ContentRootPath);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<HostingOptionsSetup>();
        services.AddSingleton<IConfigureOptions<HostingOptions>>(sp => sp.GetRequiredService<HostingOptionsSetup>());
        services.AddSingleton<IPostConfigureOptions<HostingOptions>>(sp => sp.GetRequiredService<HostingOptionsSetup>());
        services.AddSingleton<IValidateOptions<HostingOptions>>(sp => sp.GetRequiredService<HostingOptionsSetup>());
        services.AddOptions<HostingOptions>().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, KestrelSetup>();
        services.AddSingleton<FunctionInvoker>();
        services.AddHostedService<SelfHostedTriggers>();
        services.AddTransient<IStartupFilter, FunctionKeyRequirement>();

        // The host captures the handler's stdout; one line per entry keeps the PAYPRO_* alert markers greppable.
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        builder.Logging.Services.AddSingleton<ILoggerProvider, InvocationLogProvider>();
        // ASP.NET Core logs every request at Information; under the host that is a line per invocation and
        // ping. Logging__LogLevel__Microsoft.AspNetCore brings them back.
        if (builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] is null)
        {
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        }
        return builder;
    }

    /// <summary>
    /// Maps <c>GET /</c> (the host pings it until the handler answers, and it serves as a liveness probe), and
    /// then either <c>POST /{FunctionName}</c> for every queue and timer function (under the host) or the
    /// function-key check for every <c>/api</c> route (self-hosted). Call it before mapping the HTTP functions.
    /// </summary>
    public static WebApplication MapFunctionsHosting(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<HostingOptions>>().Value;

        app.MapGet("/", (RequestDelegate)(context =>
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return Task.CompletedTask;
        })).WithDisplayName("Functions host ping");

        if (options.Mode == HostingMode.FunctionsHost)
        {
            FunctionsHostProtocol.Map(app, app.Services.GetServices<FunctionDescriptor>());
        }
        else if (!string.IsNullOrEmpty(options.FunctionKey))
        {
            var key = options.FunctionKey;
            app.Use(next => new FunctionKeyMiddleware(next, key).InvokeAsync);
        }
        return app;
    }

    private static bool IsUnderHost(IConfiguration configuration)
    {
        var mode = configuration["Hosting:Mode"]?.Trim();
        if (string.Equals(mode, nameof(HostingMode.FunctionsHost), StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return !string.Equals(mode, nameof(HostingMode.SelfHosted), StringComparison.OrdinalIgnoreCase)
            && !string.IsNullOrEmpty(configuration[HostingOptions.CustomHandlerPortVariable]);
    }
}
