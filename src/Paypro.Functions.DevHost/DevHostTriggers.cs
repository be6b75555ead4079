using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Storage;

namespace Paypro.Functions.DevHost;

/// <summary>
/// Starts a <see cref="QueueListener"/> per queue function and a <see cref="TimerListener"/> per timer function
/// of the catalog (after creating the storage, for a local run), and stops them on shutdown once the messages
/// in hand are finished.
/// </summary>
internal sealed class DevHostTriggers(
    HostedFunctions functions,
    HostJson hostJson,
    IOptions<DevHostOptions> options,
    IConfiguration configuration,
    IServiceProvider services,
    IFunctionInvocation invocation,
    [FromKeyedServices(DevelopmentHost.ClockKey)] TimeProvider time,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _listeners = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Everything that can be wrong with a setting is checked before any listener starts, so a bad schedule or
        // queue name stops the host at start-up with the setting's name.
        var starts = new List<Func<Task>>();
        var logger = loggerFactory.CreateLogger("Paypro.Functions.DevHost");
        var catalog = functions.Known;
        foreach (var function in catalog.Functions
            .Where(function => function is not HttpFunction && HostedFunctions.IsDisabled(configuration, function.Name)))
        {
            logger.FunctionDisabled(function.Name);
        }
        foreach (var function in catalog.Queues.Where(function => !HostedFunctions.IsDisabled(configuration, function.Name)))
        {
            var queueName = Resolve(function.QueueNameExpression, function);
            QueueNames.Validate(queueName, function.QueueNameExpression);
            var queues = services.GetService<QueueServiceClient>() ?? throw new InvalidOperationException(
                $"Function {function.Name} has a queue trigger, but no QueueServiceClient is registered: set AzureWebJobsStorage.");
            var listener = new QueueListener(function, queues, queueName, invocation, hostJson, time,
                loggerFactory.CreateLogger(QueueListener.LogCategory));
            logger.ListensOnQueue(function.Name, listener.QueueName);
            starts.Add(() => listener.RunAsync(_stopping.Token));
        }
        foreach (var function in catalog.Timers.Where(function => !HostedFunctions.IsDisabled(configuration, function.Name)))
        {
            var schedule = TimerListener.ParseSchedule(Resolve(function.ScheduleExpression, function), function.ScheduleExpression);
            var timer = new TimerListener(
                function,
                schedule,
                invocation,
                time,
                loggerFactory.CreateLogger("Paypro.Functions.DevHost.TimerListener"));
            logger.RunsOnSchedule(function.Name, Resolve(function.ScheduleExpression, function), timer.NextOccurrence(time.GetUtcNow()));
            starts.Add(() => timer.RunAsync(_stopping.Token));
        }

        if (options.Value.CreateStorage && services.GetService<StorageProvisioner>() is { } storage)
        {
            await storage.CreateAllAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var start in starts)
        {
            _listeners.Add(Task.Run(start, CancellationToken.None));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listeners.Count == 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        // The shutdown timeout bounds the wait for functions still running.
        await Task.WhenAll(_listeners).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Resolves a binding expression (<c>%Setting%</c>) the way the host does: from the app settings, with no default.</summary>
    private string Resolve(string expression, FunctionEntry function)
    {
        if (expression.Length < 3 || expression[0] != '%' || expression[^1] != '%')
        {
            return expression;
        }
        var setting = expression[1..^1];
        var value = configuration[setting];
        return string.IsNullOrWhiteSpace(value)
            ? throw new InvalidOperationException(
                $"The app setting {setting} is not set; function {function.Name}'s trigger names it as {expression}.")
            : value.Trim();
    }
}
