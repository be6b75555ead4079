namespace Paypro.Functions.Hosting;

/// <summary>
/// Runs a registered function in its own DI scope. Both trigger adapters (the host protocol and the
/// self-hosted listeners) call this, so a function behaves the same under either.
/// </summary>
internal sealed class FunctionInvoker(IServiceScopeFactory scopes, ILogger<FunctionInvoker> logger)
{
    public async Task InvokeAsync(QueueFunctionDescriptor function, QueueTrigger trigger, CancellationToken cancellationToken)
    {
        using var logScope = logger.BeginScope(new KeyValuePair<string, object>[]
        {
            new("FunctionName", function.Name),
            new("MessageId", trigger.MessageId),
            new("DequeueCount", trigger.DequeueCount),
        });
        await using var scope = scopes.CreateAsyncScope();
        await function.Create(scope.ServiceProvider).RunAsync(trigger, cancellationToken).ConfigureAwait(false);
    }

    public async Task InvokeAsync(TimerFunctionDescriptor function, TimerTrigger trigger, CancellationToken cancellationToken)
    {
        using var logScope = logger.BeginScope(new KeyValuePair<string, object>[] { new("FunctionName", function.Name) });
        await using var scope = scopes.CreateAsyncScope();
        await function.Create(scope.ServiceProvider).RunAsync(trigger, cancellationToken).ConfigureAwait(false);
    }
}
