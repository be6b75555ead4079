using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Hosting;

/// <summary>
/// The custom-handler side of the Functions host protocol for queue and timer functions: the host posts
/// <c>{ "Data": {...}, "Metadata": {...} }</c> to <c>/{FunctionName}</c> and reads
/// <c>{ "Outputs": {}, "Logs": [...], "ReturnValue": null }</c> back. Any non-2xx answer fails the invocation,
/// so the host retries a queue message and eventually moves it to the poison queue.
/// </summary>
internal static class FunctionsHostProtocol
{
    public static void Map(IEndpointRouteBuilder endpoints, IEnumerable<FunctionDescriptor> functions)
    {
        foreach (var function in functions)
        {
            var handler = function switch
            {
                QueueFunctionDescriptor queue => (RequestDelegate)(context => InvokeAsync(context, queue)),
                TimerFunctionDescriptor timer => context => InvokeAsync(context, timer),
                _ => throw new InvalidOperationException($"Function '{function.Name}' has an unknown trigger."),
            };
            endpoints.MapPost("/" + function.Name, handler).WithDisplayName("Functions host invocation: " + function.Name);
        }
    }

    private static Task InvokeAsync(HttpContext context, QueueFunctionDescriptor function) =>
        InvokeAsync(context, function, (root, services) =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            var options = services.GetRequiredService<IOptions<HostingOptions>>().Value;
            var trigger = InvocationRequest.ReadQueueTrigger(root, function, function.ResolveQueueName(configuration), options.MaxDequeueCount);
            return (trigger.MessageId, (invoker, cancellationToken) => invoker.InvokeAsync(function, trigger, cancellationToken));
        });

    private static Task InvokeAsync(HttpContext context, TimerFunctionDescriptor function) =>
        InvokeAsync(context, function, (root, _) =>
        {
            var trigger = InvocationRequest.ReadTimerTrigger(root, function);
            return (null, (invoker, cancellationToken) => invoker.InvokeAsync(function, trigger, cancellationToken));
        });

    private static async Task InvokeAsync(
        HttpContext context,
        FunctionDescriptor function,
        Func<JsonElement, IServiceProvider, (string? MessageId, Func<FunctionInvoker, CancellationToken, Task> Run)> read)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Paypro.Functions.Hosting.FunctionsHost");
        var invoker = services.GetRequiredService<FunctionInvoker>();
        var cancellationToken = context.RequestAborted;

        (string? MessageId, Func<FunctionInvoker, CancellationToken, Task> Run) invocation;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, default, cancellationToken).ConfigureAwait(false);
            invocation = read(document.RootElement, services);
        }
        catch (Exception ex) when (ex is JsonException or InvocationFormatException)
        {
            var reason = ex is JsonException ? "The invocation body is not valid JSON." : ex.Message;
            logger.LogError("Invocation of {FunctionName} refused: {Reason}", function.Name, reason);
            await WriteAnswerAsync(context, StatusCodes.Status400BadRequest, [], reason, cancellationToken).ConfigureAwait(false);
            return;
        }

        var logs = InvocationLogs.Begin();
        try
        {
            await invocation.Run(invoker, cancellationToken).ConfigureAwait(false);
            logs.Add($"Information: {function.Name} succeeded.");
            await WriteAnswerAsync(context, StatusCodes.Status200OK, logs.Lines, null, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host gave up on the invocation (timeout or shutdown); nobody reads an answer.
            logger.LogWarning("Invocation of {FunctionName} was cancelled by the host.", function.Name);
        }
        catch (Exception ex)
        {
            // The host drops Logs when an invocation fails, so the failure goes to stdout through the logger too.
            logger.LogError(ex, "{FunctionName} failed{ForMessage}.", function.Name, invocation.MessageId is null ? "" : " for message " + invocation.MessageId);
            var error = $"{function.Name} failed: {ex.GetType().Name}: {ex.Message}";
            await WriteAnswerAsync(context, StatusCodes.Status500InternalServerError, logs.Lines, error, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            InvocationLogs.End();
        }
    }

    private static async Task WriteAnswerAsync(HttpContext context, int status, IReadOnlyList<string> logs, string? error, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        writer.WriteStartObject();
        writer.WriteStartObject("Outputs");
        writer.WriteEndObject();
        writer.WriteStartArray("Logs");
        foreach (var line in logs)
        {
            writer.WriteStringValue(line);
        }
        writer.WriteEndArray();
        writer.WriteNull("ReturnValue");
        if (error is not null)
        {
            writer.WriteString("Error", error);
        }
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
