using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paypro.Functions.Hosting;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>
/// A web app with only the hosting layer and test functions, on a real loopback port. Settings are passed
/// as command-line arguments, the way the Functions host or a developer would, and the content root is an
/// empty folder so no local.settings.json of the developer's leaks in.
/// </summary>
internal sealed class HostingTestApp : IAsyncDisposable
{
    private readonly string _contentRoot;

    private HostingTestApp(WebApplication app, string contentRoot, LogCollector logs)
    {
        App = app;
        _contentRoot = contentRoot;
        Logs = logs;
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public LogCollector Logs { get; }

    /// <summary>Settings for the custom-handler mode on a free port, as the Functions host would set them.</summary>
    public static Dictionary<string, string?> UnderHost() => new() { ["FUNCTIONS_CUSTOMHANDLER_PORT"] = FreeLoopbackPort().ToString() };

    /// <summary>Settings for self-hosted mode on an ephemeral port.</summary>
    public static Dictionary<string, string?> SelfHosted(string? functionKey = "test-function-key") => new()
    {
        ["Hosting:Mode"] = "SelfHosted",
        ["Hosting:FunctionKey"] = functionKey,
        ["urls"] = "http://127.0.0.1:0",
    };

    public static WebApplication Build(IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure, Action<WebApplication>? map, string contentRoot, LogCollector logs)
    {
        var args = settings.Where(setting => setting.Value is not null).Select(setting => $"--{setting.Key}={setting.Value}").ToArray();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot });
        builder.AddFunctionsHosting();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapFunctionsHosting();
        map?.Invoke(app);
        return app;
    }

    public static async Task<HostingTestApp> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? map = null, string? contentRoot = null)
    {
        var root = contentRoot ?? CreateContentRoot();
        var logs = new LogCollector();
        var app = Build(settings, configure, map, root, logs);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new HostingTestApp(app, contentRoot is null ? root : "", logs);
    }

    public static string CreateContentRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "paypro-hosting-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        return root;
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await App.StopAsync(stop.Token);
        }
        await App.DisposeAsync();
        if (_contentRoot.Length > 0)
        {
            Directory.Delete(_contentRoot, recursive: true);
        }
    }
}
