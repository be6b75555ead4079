using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Hosting;

/// <summary>
/// In self-hosted mode, starts a <see cref="QueueListener"/> per queue function and a
/// <see cref="TimerListener"/> per timer function, and stops them on shutdown after the messages in hand
/// are finished. Under the host it does nothing: the host fires the triggers.
/// </summary>
internal sealed class SelfHostedTriggers(
    IEnumerable<FunctionDescriptor> functions,
    IOptions<HostingOptions> options,
    IConfiguration configuration,
    IServiceProvider services,
    FunctionInvoker invoker,
    TimeProvider time,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _listeners = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var hosting = options.Value;
        if (hosting.Mode != HostingMode.SelfHosted)
        {
            return Task.CompletedTask;
        }

        // Everything that can be wrong with a setting is checked before any listener starts, so a bad
        // schedule or queue name stops the app at start-up with the setting's name.
        var starts = new List<Func<Task>>();
        var logger = loggerFactory.CreateLogger("Paypro.Functions.Hosting.SelfHosted");
        QueueServiceClient? queues = null;
        foreach (var function in functions)
        {
            switch (function)
            {
                case QueueFunctionDescriptor queueFunction:
                    queues ??= services.GetService<QueueServiceClient>() ?? throw new InvalidOperationException(
                        "Self-hosted queue triggers need a QueueServiceClient: call services.AddStorageClients(configuration) and set AzureWebJobsStorage.");
                    var listener = new QueueListener(queueFunction, queues, queueFunction.ResolveQueueName(configuration), invoker, hosting, time,
                        loggerFactory.CreateLogger("Paypro.Functions.Hosting.QueueListener"));
                    logger.LogInformation("Self-hosted: {FunctionName} listens on queue {Queue}.", function.Name, listener.QueueName);
                    starts.Add(() => listener.RunAsync(_stopping.Token));
                    break;
                case TimerFunctionDescriptor timerFunction:
                    var schedule = timerFunction.ResolveSchedule(configuration);
                    var timer = new TimerListener(timerFunction, schedule, invoker, time, loggerFactory.CreateLogger("Paypro.Functions.Hosting.TimerListener"));
                    logger.LogInformation("Self-hosted: {FunctionName} runs on schedule '{Schedule}' (UTC), next at {Next:O}.", function.Name, schedule, timer.NextOccurrence(time.GetUtcNow()));
                    starts.Add(() => timer.RunAsync(_stopping.Token));
                    break;
            }
        }

        foreach (var start in starts)
        {
            _listeners.Add(Task.Run(start, CancellationToken.None));
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listeners.Count == 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        // The host's shutdown timeout bounds the wait for functions still running.
        await Task.WhenAll(_listeners).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }
}
