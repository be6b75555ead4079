using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Azure.Functions.Worker.Grpc.Messages;

namespace Paypro.Functions.DevHost.Emulator;

/// <summary>The workers the emulator has started, by the worker id it gave each on its command line.</summary>
internal sealed class WorkerConnections
{
    private readonly ConcurrentDictionary<string, WorkerChannel> _channels = new();

    public void Add(WorkerChannel channel) => _channels[channel.WorkerId] = channel;

    public void Remove(WorkerChannel channel) => _channels.TryRemove(channel.WorkerId, out _);

    public WorkerChannel? Find(string workerId) => _channels.GetValueOrDefault(workerId);
}

/// <summary>The host's gRPC service: a worker opens <c>EventStream</c> and introduces itself with StartStream.</summary>
internal sealed class FunctionRpcService(WorkerConnections connections) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(
        IAsyncStreamReader<StreamingMessage> requestStream,
        IServerStreamWriter<StreamingMessage> responseStream,
        ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false)
            || requestStream.Current.StartStream is not { } start
            || connections.Find(start.WorkerId) is not { } channel)
        {
            // Not a worker this emulator started.
            return;
        }
        await channel.RunAsync(requestStream, responseStream, context.CancellationToken).ConfigureAwait(false);
    }
}
