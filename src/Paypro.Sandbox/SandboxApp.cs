using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Paypro.Sandbox.Api;
using Paypro.Sandbox.Callbacks;
using Paypro.Sandbox.Transactions;

namespace Paypro.Sandbox;

/// <summary>Builds the sandbox: the same composition serves the standalone run and <see cref="SandboxHost"/>.</summary>
internal static partial class SandboxApp
{
    /// <summary>Where the standalone sandbox listens when no <c>--urls</c> is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--Sandbox:Key=value</c>).</param>
    /// <param name="configure">Lets the in-process host replace settings or services before the app is built.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The content root is the sandbox's own folder, so its appsettings.json is read wherever it is started
        // from (installed as a .NET tool, it is started from the caller's folder).
        var builder = WebApplication.CreateSlimBuilder(
            new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        builder.AddPayproSandbox();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapPayproSandbox();
        return app;
    }

    public static WebApplicationBuilder AddPayproSandbox(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SandboxOptions>().Bind(builder.Configuration.GetSection(SandboxOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SandboxOptions>, SandboxOptionsValidator>();
        // One live instance, so a test can change settings of a running sandbox.
        services.AddSingleton(static sp => sp.GetRequiredService<IOptions<SandboxOptions>>().Value);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(static sp => new SandboxLedger(sp.GetRequiredService<SandboxOptions>().InitialBalance));
        services.AddSingleton(static sp =>
        {
            var options = sp.GetRequiredService<SandboxOptions>();
            return new SandboxFaults(options.FaultSeed, options.Faults);
        });
        services.AddSingleton<BackgroundWork>();
        services.AddSingleton<CallbackDispatcher>();
        services.AddSingleton<PayproEmulator>();
        services.AddSingleton<PayproPipeline>();
        return builder;
    }

    public static WebApplication MapPayproSandbox(this WebApplication app)
    {
        // Resolving the options here validates them, so a bad setting stops the start with its name.
        var options = app.Services.GetRequiredService<SandboxOptions>();
        app.MapPayproEndpoints(options.BalancePath);
        app.MapCheckoutEndpoints();
        app.MapControlEndpoints();
        app.MapGet("/", () => TypedResults.Text("Paypro Kenya sandbox. See the README for paths, test inputs and settings.\n"));

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Paypro.Sandbox");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            LogStarted(logger, string.Join(", ", app.Urls), options.MerchantNo, options.SaltPosition, options.TimeScale,
                options.SignCallbacks ? "signed" : "unsigned", options.ControlEnabled ? "enabled" : "disabled");
            if (options.AppSecret == SandboxOptions.DevelopmentSecret)
            {
                LogDevelopmentSecret(logger);
            }
        });
        return app;
    }

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "Paypro sandbox listening on {Urls}: merchant {MerchantNo}, salt {SaltPosition}, time scale {TimeScale}, " +
            "callbacks {Signing}, control endpoints {Control}")]
    private static partial void LogStarted(
        ILogger logger,
        string urls,
        string merchantNo,
        SaltPosition saltPosition,
        double timeScale,
        string signing,
        string control);

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "Sandbox:AppSecret is not set: requests and callbacks use the public development secret")]
    private static partial void LogDevelopmentSecret(ILogger logger);
}
