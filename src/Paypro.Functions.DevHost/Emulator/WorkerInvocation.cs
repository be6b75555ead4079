using System.Diagnostics;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker.Grpc.Messages;
using TimerInfo = Microsoft.Azure.Functions.Worker.TimerInfo;

namespace Paypro.Functions.DevHost.Emulator;

/// <summary>
/// Runs a function in the worker process over the host's protocol. An HTTP request is proxied to the worker's own
/// Kestrel (its <c>HttpUri</c>) with <c>x-ms-invocation-id</c>, and the invocation request, with the route values in
/// its trigger metadata, goes over gRPC; the worker's answer goes back to the caller. Queue and timer triggers send
/// their values as the host's extensions do (<see cref="TriggerPayloads"/>). At host.json's <c>functionTimeout</c>
/// the invocation is cancelled (InvocationCancel) and fails.
/// </summary>
internal sealed class WorkerInvocation : IFunctionInvocation, IDisposable
{
    /// <summary>The header the worker pairs a proxied request with its invocation by.</summary>
    public const string InvocationIdHeader = "x-ms-invocation-id";

    private static readonly ActivitySource Source = new(FunctionInvoker.SourceName);
    private static readonly HashSet<string> HopByHopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    private readonly WorkerEmulator _worker;
    private readonly HostJson _hostJson;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpMessageInvoker _proxy = new(new RetryWhileStartingHandler(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
    }));

    public WorkerInvocation(
        WorkerEmulator worker,
        HostJson hostJson,
        [FromKeyedServices(DevelopmentHost.ClockKey)] TimeProvider time,
        ILoggerFactory loggerFactory)
    {
        _worker = worker;
        _hostJson = hostJson;
        _time = time;
        _logger = loggerFactory.CreateLogger("Paypro.Functions.DevHost.Worker");
    }

    public async Task InvokeHttpAsync(HttpFunction function, HttpContext context)
    {
        var aborted = context.RequestAborted;
        var channel = await _worker.GetChannelAsync(aborted).ConfigureAwait(false);
        var httpUri = channel.HttpUri ?? throw new InvalidOperationException(
            "The worker reported no HttpUri capability: HTTP functions need the ASP.NET Core integration"
                + " (ConfigureFunctionsWebApplication).");
        var request = NewRequest(channel, function);
        request.InputData.Add(new ParameterBinding { Name = function.TriggerBinding, Data = new TypedData { Http = new RpcHttp() } });
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value?.ToString() is { } text)
            {
                request.TriggerMetadata[name] = new TypedData { String = text };
            }
        }

        using var forward = CreateForwardRequest(context, httpUri, request.InvocationId);
        // As the host does: the request is on its way to the worker before the invocation request is sent.
        var forwarding = _proxy.SendAsync(forward, aborted);
        var invoking = RunAsync(channel, function, request, aborted);
        HttpResponseMessage response;
        try
        {
            response = await forwarding.ConfigureAwait(false);
        }
        catch (Exception) when (!aborted.IsCancellationRequested)
        {
            await invoking.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            throw;
        }
        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHopHeaders.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }
            await response.Content.CopyToAsync(context.Response.Body, aborted).ConfigureAwait(false);
        }
        await invoking.ConfigureAwait(false);
    }

    public async Task InvokeQueueAsync(QueueFunction function, QueueMessage message, CancellationToken cancellationToken)
    {
        var channel = await _worker.GetChannelAsync(cancellationToken).ConfigureAwait(false);
        var request = NewRequest(channel, function);
        request.InputData.Add(new ParameterBinding { Name = function.TriggerBinding, Data = TriggerPayloads.QueueMessage(message) });
        request.TriggerMetadata.Add(TriggerPayloads.QueueMetadata(message).ToDictionary());
        await RunAsync(channel, function, request, cancellationToken).ConfigureAwait(false);
    }

    public async Task InvokeTimerAsync(TimerFunction function, TimerInfo timer, CancellationToken cancellationToken)
    {
        var channel = await _worker.GetChannelAsync(cancellationToken).ConfigureAwait(false);
        var request = NewRequest(channel, function);
        request.InputData.Add(new ParameterBinding { Name = function.TriggerBinding, Data = TriggerPayloads.TimerInfo(timer) });
        await RunAsync(channel, function, request, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _proxy.Dispose();

    private InvocationRequest NewRequest(WorkerChannel channel, FunctionEntry function)
    {
        var request = new InvocationRequest { InvocationId = Guid.NewGuid().ToString(), FunctionId = channel.FunctionId(function.Name) };
        var system = TriggerPayloads.System(function.Name, _time.GetUtcNow());
        request.TriggerMetadata.Add(system.Key, system.Value);
        return request;
    }

    /// <summary>
    /// Sends the invocation with a trace context of its own and waits for its result; a failure or a cancellation throws.
    /// </summary>
    private async Task RunAsync(
        WorkerChannel channel,
        FunctionEntry function,
        InvocationRequest request,
        CancellationToken cancellationToken)
    {
        // Each invocation starts a trace of its own, as the host's do for queue and timer triggers.
        Activity.Current = null;
        using var activity = Source.StartActivity(
                "Invoke " + function.Name,
                function is HttpFunction ? ActivityKind.Server : ActivityKind.Internal)
            ?? new Activity("Invoke " + function.Name).SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.SetTag("faas.name", function.Name);
        activity.SetTag("faas.execution", request.InvocationId);
        request.TraceContext = new RpcTraceContext { TraceParent = activity.Id ?? "", TraceState = activity.TraceStateString ?? "" };
        request.TraceContext.Attributes.Add("faas.name", function.Name);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var limit = _hostJson.FunctionTimeout is { } configured && configured > TimeSpan.Zero ? configured : (TimeSpan?)null;
        if (limit is { } timeoutAfter)
        {
            timeout.CancelAfter(timeoutAfter);
        }
        InvocationResponse response;
        try
        {
            response = await channel.InvokeAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && limit is { } after)
        {
            activity.SetStatus(ActivityStatusCode.Error, "timeout");
            _logger.InvocationTimedOut(function.Name, after, request.InvocationId);
            throw new TimeoutException($"Function {function.Name} ran past host.json's functionTimeout ({after}).");
        }
        if (response.Result?.Status != StatusResult.Types.Status.Success)
        {
            activity.SetStatus(ActivityStatusCode.Error, response.Result?.Status.ToString());
            throw new FunctionInvocationException(function.Name, response.Result);
        }
    }

    private static HttpRequestMessage CreateForwardRequest(HttpContext context, Uri httpUri, string invocationId)
    {
        var incoming = context.Request;
        var forward = new HttpRequestMessage(
            new HttpMethod(incoming.Method),
            new Uri(httpUri, incoming.Path.Add(new PathString()).ToUriComponent() + incoming.QueryString.ToUriComponent()));
        var hasBody = incoming.ContentLength > 0 || incoming.Headers.TransferEncoding.Count > 0;
        if (hasBody)
        {
            forward.Content = new StreamContent(incoming.Body);
        }
        foreach (var (name, values) in incoming.Headers)
        {
            if (HopByHopHeaders.Contains(name) || name.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && hasBody)
            {
                forward.Content!.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        // The front end appends the caller's address to X-Forwarded-For; the worker takes the rightmost entry.
        var forwardedFor = incoming.Headers["X-Forwarded-For"].ToString();
        var caller = context.Connection.RemoteIpAddress?.ToString();
        forward.Headers.TryAddWithoutValidation(
            "X-Forwarded-For",
            string.Join(", ", new[] { forwardedFor, caller }.Where(part => !string.IsNullOrEmpty(part))));
        forward.Headers.TryAddWithoutValidation(InvocationIdHeader, invocationId);
        return forward;
    }
}

/// <summary>The worker reported the invocation as failed or cancelled.</summary>
internal sealed class FunctionInvocationException(string functionName, StatusResult? result) : Exception(
    $"Function {functionName}: {result?.Status.ToString() ?? "no result"}"
        + $"{(WorkerException.Describe(result?.Exception) is { } reason ? ": " + reason : "")}",
    result?.Exception is { } exception ? new WorkerException(exception) : null);

/// <summary>
/// The worker reports its HttpUri before its Kestrel listens, so a request right after start-up (or a restart) can
/// find the port closed. As the host's proxy does, a refused connection is tried again for a short while; nothing
/// reached the worker then, so nothing runs twice.
/// </summary>
internal sealed class RetryWhileStartingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(10);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + RetryFor;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (ex.InnerException is System.Net.Sockets.SocketException
                    { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused }
                && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * attempt, 500)), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
