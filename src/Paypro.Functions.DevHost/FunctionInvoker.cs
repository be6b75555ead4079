using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace Paypro.Functions.DevHost;

/// <summary>
/// Calls a <c>[Function]</c> method the way the worker does: a new instance of its class from the invocation's
/// services (constructor injection), its parameters bound from the trigger, and a <see cref="CancellationToken"/>
/// that is cancelled when the host shuts down or the invocation runs past host.json's <c>functionTimeout</c>.
/// </summary>
internal sealed class FunctionInvoker(HostJson hostJson)
{
    /// <summary>The development host's invocation spans, one per function invocation, as the worker makes them under the host.</summary>
    public const string SourceName = "Paypro.Functions.DevHost";

    private static readonly ActivitySource Source = new(SourceName);

    /// <param name="function">The function to call.</param>
    /// <param name="services">The invocation's services (a scope of its own).</param>
    /// <param name="bind">Supplies every parameter other than the cancellation token.</param>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    /// <returns>What the function returned, awaited.</returns>
    public async Task<object?> InvokeAsync(
        FunctionEntry function,
        IServiceProvider services,
        Func<ParameterInfo, object?> bind,
        CancellationToken cancellationToken)
    {
        // Each invocation span starts a trace of its own, as the host's invocations do for queue and timer
        // triggers; a caller's unsampled context (an HTTP client's) would otherwise leave it unrecorded.
        Activity.Current = null;
        using var invocation = Source.StartActivity("Invoke " + function.Name, function switch
        {
            HttpFunction => ActivityKind.Server,
            QueueFunction => ActivityKind.Consumer,
            _ => ActivityKind.Internal,
        });
        invocation?.SetTag("faas.name", function.Name);
        invocation?.SetTag("faas.trigger", function switch { HttpFunction => "http", QueueFunction => "pubsub", _ => "timer" });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (hostJson.FunctionTimeout is { } limit && limit > TimeSpan.Zero)
        {
            timeout.CancelAfter(limit);
        }
        var method = function.Method
            ?? throw new InvalidOperationException($"Function {function.Name} runs in the worker process, not in-process.");
        var instance = method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, method.DeclaringType!);
        try
        {
            var arguments = method.GetParameters()
                .Select(parameter => parameter.ParameterType == typeof(CancellationToken) ? timeout.Token : bind(parameter))
                .ToArray();
            object? result;
            try
            {
                result = method.Invoke(instance, arguments);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                invocation?.SetStatus(ActivityStatusCode.Error, ex.InnerException.GetType().Name);
                ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }
            return await UnwrapAsync(result).ConfigureAwait(false);
        }
        finally
        {
            switch (instance)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    private static async Task<object?> UnwrapAsync(object? result)
    {
        switch (result)
        {
            case Task task:
                await task.ConfigureAwait(false);
                var type = task.GetType();
                return type.IsGenericType
                        && type.GetProperty(nameof(Task<object>.Result)) is { } property
                        && property.PropertyType.Name != "VoidTaskResult"
                    ? property.GetValue(task)
                    : null;
            case ValueTask valueTask:
                await valueTask.ConfigureAwait(false);
                return null;
            default:
                return result;
        }
    }

    /// <summary>A parameter the development host cannot supply: say which, rather than pass null.</summary>
    public static NotSupportedException Unsupported(FunctionEntry function, ParameterInfo parameter) =>
        new($"Function {function.Name}: the development host cannot bind parameter '{parameter.Name}'"
            + $" of type {parameter.ParameterType.Name}.");
}
