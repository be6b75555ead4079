using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Paypro.Functions.DevHost;
using Paypro.Sandbox;

namespace Paypro.Load;

/// <summary>
/// The whole product on loopback for one run: Azurite (two child processes), the Paypro sandbox and the function
/// app on the development host (both in this process). Tables and queues carry a per-run id, so a run never sees
/// another's data. Disposing stops all of it, whatever state the run ended in.
/// </summary>
public sealed class LoadEnvironment : IAsyncDisposable
{
    public const string FunctionKey = "load-function-key-0123456789";
    public const string MasterKey = "load-master-key-0123456789";

    private readonly string _contentRoot;

    private LoadEnvironment(string id, string contentRoot)
    {
        Id = id;
        _contentRoot = contentRoot;
        EventSends = new EventSendRecorder(EventsQueue);
    }

    public string Id { get; }
    public Azurite Azurite { get; private set; } = null!;
    public SandboxHost Sandbox { get; private set; } = null!;
    public WebApplication App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public QueueServiceClient Queues { get; private set; } = null!;
    public TableServiceClient Tables { get; private set; } = null!;
    public EventSendRecorder EventSends { get; }

    public string PayoutsQueue => $"load-payouts-{Id}";
    public string PayinsQueue => $"load-payins-{Id}";
    public string EventsQueue => $"load-events-{Id}";
    public string TablePrefix => $"L{Id}";
    public string TransactionsTable => TablePrefix + "Transactions";
    public string NotifyPathAndQuery => $"/api/paypro/notify?code={FunctionKey}";

    public static async Task<LoadEnvironment> StartAsync(string repositoryRoot, string appLogLevel, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var contentRoot = Path.Combine(Path.GetTempPath(), "paypro-load-" + id);
        Directory.CreateDirectory(contentRoot);
        var environment = new LoadEnvironment(id, contentRoot);
        try
        {
            environment.Azurite = await Azurite.StartAsync(repositoryRoot, cancellationToken);
            environment.Queues = environment.Azurite.CreateQueueServiceClient();
            environment.Tables = environment.Azurite.CreateTableServiceClient();

            environment.Sandbox = await SandboxHost.StartAsync(options =>
            {
                options.ControlEnabled = true;
                // Every payout's mobile ends in 13: it stays processing this long, so the sandbox sends no
                // callback of its own during the run; the only callbacks are the burst's.
                options.LongProcessingDelay = TimeSpan.FromDays(1);
                options.SuccessDelay = TimeSpan.FromDays(1);
            }, cancellationToken);

            var port = Loopback.FreePort();
            environment.BaseAddress = new Uri($"http://127.0.0.1:{port}");
            var sandbox = environment.Sandbox;
            var values = new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = environment.Azurite.ConnectionString,
                ["Storage:TablePrefix"] = environment.TablePrefix,
                ["PayoutsQueueName"] = environment.PayoutsQueue,
                ["PayinsQueueName"] = environment.PayinsQueue,
                ["EventsQueueName"] = environment.EventsQueue,
                // The poller never runs by itself: every event of the run comes from a callback.
                ["PollSchedule"] = "0 0 0 1 1 *",
                ["Paypro:BaseUrl"] = sandbox.BaseUrl.AbsoluteUri,
                ["Paypro:MerchantNo"] = sandbox.Options.MerchantNo,
                ["Paypro:AppSecret"] = sandbox.Options.AppSecret,
                // A busy machine must not turn create calls into "unknown" outcomes while seeding.
                ["Paypro:RequestTimeout"] = "00:00:30",
                ["Paypro:NotifyUrl"] = $"http://127.0.0.1:{port}{environment.NotifyPathAndQuery}",
                ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.500",
                ["DevHost:FunctionKey"] = FunctionKey,
                ["DevHost:MasterKey"] = MasterKey,
                ["urls"] = environment.BaseAddress.AbsoluteUri.TrimEnd('/'),
                ["hostBuilder:reloadConfigOnChange"] = "false",
                // One information line per transition would be thousands of console lines, and writing them
                // would be part of what is measured; warnings and errors still show.
                ["Logging:LogLevel:Default"] = appLogLevel,
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            };
            var args = values.Select(v => $"--{v.Key}={v.Value}").ToArray();
            environment.App = DevelopmentHost.Build(args, builder =>
            {
                // The same client the app builds (base64 messages), plus the recorder of event sends. Registered
                // after the app's own, so this one is resolved.
                var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
                options.AddPolicy(environment.EventSends, HttpPipelinePosition.PerRetry);
                builder.Services.AddSingleton(new QueueServiceClient(environment.Azurite.ConnectionString, options));
            }, contentRoot);
            await environment.App.StartAsync(cancellationToken);
            sandbox.Options.DefaultNotifyUrl = new Uri(environment.BaseAddress, environment.NotifyPathAndQuery).AbsoluteUri;
            return environment;
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (App is { } app)
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
