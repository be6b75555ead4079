using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using IServerStreamWriter = Grpc.Core.IServerStreamWriter<Microsoft.Azure.Functions.Worker.Grpc.Messages.StreamingMessage>;
using IStreamReader = Grpc.Core.IAsyncStreamReader<Microsoft.Azure.Functions.Worker.Grpc.Messages.StreamingMessage>;
using Microsoft.Azure.Functions.Worker.Grpc.Messages;

namespace Paypro.Functions.DevHost.Emulator;

/// <summary>
/// One worker's event stream, the host's side of <c>FunctionRpc.EventStream</c>: after the worker's StartStream, the
/// host asks it to initialise (WorkerInitRequest, whose answer carries the capabilities, HttpUri among them), for its
/// functions (FunctionsMetadataRequest) and to load each (FunctionLoadRequest); then it sends invocations and matches
/// their responses by invocation id. The worker's RpcLog entries go to the emulator's log.
/// </summary>
internal sealed class WorkerChannel(string workerId, ILoggerFactory loggerFactory)
{
    /// <summary>The capability of a worker with ASP.NET Core integration: where its own Kestrel listens.</summary>
    public const string HttpUriCapability = "HttpUri";

    private readonly Channel<StreamingMessage> _outgoing =
        Channel.CreateUnbounded<StreamingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _requests = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> _invocations = new();
    private readonly ILogger _logger = loggerFactory.CreateLogger("Paypro.Functions.DevHost.Worker");
    private Dictionary<string, string> _functionIds = [];
    private volatile bool _closed;

    public string WorkerId => workerId;

    /// <summary>Completes when the worker has opened its stream.</summary>
    public Task Connected => _connected.Task;

    public Uri? HttpUri { get; private set; }

    public IReadOnlyList<RpcFunctionMetadata> Functions { get; private set; } = [];

    /// <summary>Serves the stream the worker opened, until it closes; every request still open then fails.</summary>
    public async Task RunAsync(IStreamReader fromWorker, IServerStreamWriter toWorker, CancellationToken cancellationToken)
    {
        _connected.TrySetResult();
        var writing = WriteAsync(toWorker, cancellationToken);
        try
        {
            while (await fromWorker.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                Dispatch(fromWorker.Current);
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // The worker went away mid-message.
        }
        finally
        {
            Close(new WorkerUnavailableException($"Worker {workerId} closed its stream."));
            await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Initialises the worker and loads its functions, as the host does before the first invocation.</summary>
    public async Task InitializeAsync(string workerDirectory, CancellationToken cancellationToken)
    {
        var init = new WorkerInitRequest
        {
            HostVersion = typeof(WorkerChannel).Assembly.GetName().Version?.ToString() ?? "",
            WorkerDirectory = workerDirectory,
            FunctionAppDirectory = workerDirectory,
        };
        var initResponse = (await RequestAsync(new StreamingMessage { WorkerInitRequest = init }, cancellationToken).ConfigureAwait(false))
            .WorkerInitResponse
            ?? throw new WorkerStartupException("The worker answered WorkerInitRequest with something else.");
        EnsureSuccess(initResponse.Result, "initialise");
        HttpUri = initResponse.Capabilities.TryGetValue(HttpUriCapability, out var httpUri)
                && Uri.TryCreate(httpUri, UriKind.Absolute, out var uri)
            ? uri
            : null;

        var metadata = (await RequestAsync(
                new StreamingMessage { FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = workerDirectory } },
                cancellationToken).ConfigureAwait(false))
            .FunctionMetadataResponse
            ?? throw new WorkerStartupException("The worker answered FunctionsMetadataRequest with something else.");
        EnsureSuccess(metadata.Result, "report its functions");
        if (metadata.UseDefaultMetadataIndexing)
        {
            throw new WorkerStartupException("The worker asked the host to index its functions from function.json files;"
                + " the emulator takes the functions from the worker only.");
        }

        var ids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var function in metadata.FunctionMetadataResults)
        {
            EnsureSuccess(function.Status, $"index function {function.Name}", allowUnset: true);
            if (string.IsNullOrEmpty(function.FunctionId))
            {
                function.FunctionId = Guid.NewGuid().ToString();
            }
            function.Directory = workerDirectory;
            var load = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = function };
            var loaded = (await RequestAsync(
                    new StreamingMessage { FunctionLoadRequest = load },
                    cancellationToken,
                    LoadKey(function.FunctionId)).ConfigureAwait(false))
                .FunctionLoadResponse;
            EnsureSuccess(loaded.Result, $"load function {function.Name}");
            ids[function.Name] = function.FunctionId;
        }
        _functionIds = ids;
        Functions = [.. metadata.FunctionMetadataResults];
    }

    public string FunctionId(string functionName) =>
        _functionIds.TryGetValue(functionName, out var id)
            ? id
            : throw new InvalidOperationException($"The worker has no function {functionName}.");

    /// <summary>
    /// Sends an invocation and waits for its response. When <paramref name="cancellationToken"/> fires first, the worker
    /// is sent InvocationCancel and the wait ends with <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<InvocationResponse> InvokeAsync(InvocationRequest request, CancellationToken cancellationToken)
    {
        var response = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _invocations[request.InvocationId] = response;
        try
        {
            Send(new StreamingMessage { InvocationRequest = request });
            return await response.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !_closed)
        {
            _outgoing.Writer.TryWrite(
                new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = request.InvocationId } });
            throw;
        }
        finally
        {
            _invocations.TryRemove(request.InvocationId, out _);
        }
    }

    /// <summary>Asks the worker to stop, giving it <paramref name="gracePeriod"/>; it does not answer.</summary>
    public void Terminate(TimeSpan gracePeriod) =>
        _outgoing.Writer.TryWrite(
            new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Duration.FromTimeSpan(gracePeriod) } });

    /// <summary>Fails everything still waiting, for a worker that is gone.</summary>
    public void Close(Exception reason)
    {
        _closed = true;
        _connected.TrySetException(reason);
        _outgoing.Writer.TryComplete();
        foreach (var request in _requests.Values)
        {
            request.TrySetException(reason);
        }
        foreach (var invocation in _invocations.Values)
        {
            invocation.TrySetException(reason);
        }
    }

    private async Task WriteAsync(IServerStreamWriter toWorker, CancellationToken cancellationToken)
    {
        await foreach (var message in _outgoing.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await toWorker.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Send(StreamingMessage message)
    {
        if (_closed || !_outgoing.Writer.TryWrite(message))
        {
            throw new WorkerUnavailableException($"Worker {workerId} is not connected.");
        }
    }

    private async Task<StreamingMessage> RequestAsync(StreamingMessage message, CancellationToken cancellationToken, string? key = null)
    {
        message.RequestId = Guid.NewGuid().ToString();
        key ??= message.RequestId;
        var answer = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests[key] = answer;
        try
        {
            Send(message);
            return await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _requests.TryRemove(key, out _);
        }
    }

    private static string LoadKey(string functionId) => "load:" + functionId;

    private void Dispatch(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.RpcLog:
                Log(message.RpcLog);
                break;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                if (_invocations.TryGetValue(message.InvocationResponse.InvocationId, out var invocation))
                {
                    invocation.TrySetResult(message.InvocationResponse);
                }
                break;
            case StreamingMessage.ContentOneofCase.FunctionLoadResponse:
                Complete(LoadKey(message.FunctionLoadResponse.FunctionId), message);
                break;
            case StreamingMessage.ContentOneofCase.WorkerInitResponse:
            case StreamingMessage.ContentOneofCase.FunctionMetadataResponse:
                Complete(message.RequestId, message);
                break;
        }
    }

    private void Complete(string key, StreamingMessage message)
    {
        if (_requests.TryGetValue(key, out var request))
        {
            request.TrySetResult(message);
        }
    }

    private void Log(RpcLog log)
    {
        var level = log.Level switch
        {
            RpcLog.Types.Level.Trace => LogLevel.Trace,
            RpcLog.Types.Level.Debug => LogLevel.Debug,
            RpcLog.Types.Level.Information => LogLevel.Information,
            RpcLog.Types.Level.Warning => LogLevel.Warning,
            RpcLog.Types.Level.Error => LogLevel.Error,
            RpcLog.Types.Level.Critical => LogLevel.Critical,
            _ => LogLevel.None,
        };
        var logger = string.IsNullOrEmpty(log.Category) ? _logger : loggerFactory.CreateLogger(log.Category);
        // The worker's entry keeps its own event: the worker sends its name when it has one (the app's alert markers,
        // PAYPRO_*, are event names), its number otherwise. Forwarded as it is, so not through a [LoggerMessage] of the host's.
        var eventId = int.TryParse(
                log.EventId,
                System.Globalization.NumberStyles.Integer,
                System.Globalization.CultureInfo.InvariantCulture,
                out var number)
            ? new EventId(number)
            : new EventId(0, string.IsNullOrEmpty(log.EventId) ? null : log.EventId);
#pragma warning disable CA1848, CA2254 // The worker's message is already formatted; it is passed on, not a template of the host's.
        logger.Log(level, eventId, log.Exception is { } exception ? new WorkerException(exception) : null, "{Message}", log.Message);
#pragma warning restore CA1848, CA2254
    }

    private static void EnsureSuccess(StatusResult? result, string what, bool allowUnset = false)
    {
        if (result is null && allowUnset)
        {
            return;
        }
        if (result?.Status != StatusResult.Types.Status.Success)
        {
            throw new WorkerStartupException(
                $"The worker could not {what}: {WorkerException.Describe(result?.Exception) ?? result?.Result ?? "no reason given"}");
        }
    }
}

/// <summary>The worker is gone (exited, or its stream closed); what was sent to it may or may not have run.</summary>
internal sealed class WorkerUnavailableException(string message) : Exception(message);

/// <summary>An exception the worker reported, with its type, message and stack trace as the worker gave them.</summary>
internal sealed class WorkerException(RpcException exception) : Exception(Describe(exception))
{
    public override string? StackTrace => exception.StackTrace;

    public static string? Describe(RpcException? exception) => exception is null
        ? null
        : string.IsNullOrEmpty(exception.Type) ? exception.Message : $"{exception.Type}: {exception.Message}";
}
