using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Paypro.Functions.DevHost;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>
/// The development host with test functions only, on a real loopback port. Settings are passed as
/// command-line arguments, the way a developer would, and the content root is an empty folder so no
/// local.settings.json of the developer's leaks in.
/// </summary>
internal sealed class HostingTestApp : IAsyncDisposable
{
    private readonly string _contentRoot;

    private HostingTestApp(WebApplication app, string contentRoot)
    {
        App = app;
        _contentRoot = contentRoot;
        Logs = app.Services.GetFakeLogCollector();
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public FakeLogCollector Logs { get; }

    public const string FunctionKey = "test-function-key-0123456789";
    public const string MasterKey = "test-master-key-0123456789";

    /// <summary>Settings for the development host on an ephemeral port, with both keys.</summary>
    public static Dictionary<string, string?> DevHost() => new()
    {
        ["DevHost:FunctionKey"] = FunctionKey,
        ["DevHost:MasterKey"] = MasterKey,
        ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.2",
        ["urls"] = "http://127.0.0.1:0",
    };

    public static Task<HostingTestApp> StartAsync(
        IReadOnlyDictionary<string, string?> settings,
        Type[] functions,
        Action<WebApplicationBuilder>? configure = null,
        string? contentRoot = null) =>
        StartAsync(settings, (args, logging, root) => DevelopmentHost.Build(args, FunctionCatalog.FromTypes(functions), builder =>
        {
            logging(builder);
            configure?.Invoke(builder);
        }, root), contentRoot);

    /// <summary>Starts the host that <paramref name="build"/> makes from the arguments, the logging set-up and the content root.</summary>
    public static async Task<HostingTestApp> StartAsync(
        IReadOnlyDictionary<string, string?> settings,
        Func<string[], Action<WebApplicationBuilder>, string, WebApplication> build,
        string? contentRoot = null)
    {
        var root = contentRoot ?? CreateContentRoot();
        var args = settings.Where(setting => setting.Value is not null).Select(setting => $"--{setting.Key}={setting.Value}").ToArray();
        var app = build(args, builder =>
        {
            builder.Logging.AddFakeLogging();
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        }, root);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            if (contentRoot is null)
            {
                Directory.Delete(root, recursive: true);
            }
            throw;
        }
        return new HostingTestApp(app, contentRoot is null ? root : "");
    }

    public static string CreateContentRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "paypro-hosting-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        return root;
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
