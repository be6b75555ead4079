using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Paypro.Functions.DevHost;

/// <summary>
/// How a function is run, the one thing that differs between the development host's two modes: in-process, by
/// reflection (<see cref="InProcessInvocation"/>), and the emulator, over the host's gRPC protocol to the worker
/// process (<see cref="Emulator.WorkerInvocation"/>). Every host rule (routes and keys, host.json, settings, queue
/// visibility, dequeue count and poison, schedules) is applied once, by the development host, before either runs.
/// </summary>
internal interface IFunctionInvocation
{
    /// <summary>Runs an HTTP function for a request whose key was accepted, and writes its answer to the caller.</summary>
    Task InvokeHttpAsync(HttpFunction function, HttpContext context);

    /// <summary>Runs a queue function for one message; throws when the invocation fails, so the message is retried or poisoned.</summary>
    Task InvokeQueueAsync(QueueFunction function, QueueMessage message, CancellationToken cancellationToken);

    /// <summary>Runs a timer function; throws when the invocation fails.</summary>
    Task InvokeTimerAsync(TimerFunction function, TimerInfo timer, CancellationToken cancellationToken);
}

/// <summary>
/// Runs the function classes in the development host's own process: each invocation gets an instance of its class from
/// a scope of its own. The end-to-end tests use it, as they share a fake clock and counted clients with the app.
/// </summary>
internal sealed class InProcessInvocation(FunctionInvoker invoker, IServiceScopeFactory scopes) : IFunctionInvocation
{
    public async Task InvokeHttpAsync(HttpFunction function, HttpContext context)
    {
        var result = await invoker.InvokeAsync(function, context.RequestServices, parameter =>
            parameter.ParameterType == typeof(HttpRequest) ? context.Request
            : parameter.ParameterType == typeof(HttpContext) ? context
            : parameter.ParameterType == typeof(string) && context.Request.RouteValues.TryGetValue(parameter.Name!, out var value)
                ? value?.ToString()
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
                throw new NotSupportedException(
                    $"Function {function.Name} returned {result.GetType().Name}; the development host answers IResult only.");
        }
    }

    public Task InvokeQueueAsync(QueueFunction function, QueueMessage message, CancellationToken cancellationToken) =>
        InvokeInScopeAsync(function, typeof(QueueMessage), message, cancellationToken);

    public Task InvokeTimerAsync(TimerFunction function, TimerInfo timer, CancellationToken cancellationToken) =>
        InvokeInScopeAsync(function, typeof(TimerInfo), timer, cancellationToken);

    private async Task InvokeInScopeAsync(FunctionEntry function, Type triggerType, object trigger, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await invoker.InvokeAsync(function, scope.ServiceProvider, parameter => parameter.ParameterType == triggerType
            ? trigger
            : throw FunctionInvoker.Unsupported(function, parameter), cancellationToken).ConfigureAwait(false);
    }
}
