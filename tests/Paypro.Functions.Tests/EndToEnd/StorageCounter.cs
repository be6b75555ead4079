using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// Counts Table Storage round trips and the entities they return, from the HTTP traffic itself, so
/// budget tests measure what really went over the wire.
/// </summary>
public sealed class StorageCounter : HttpPipelinePolicy
{
    private long _roundTrips;
    private long _entitiesRead;
    private readonly object _gate = new();
    private readonly List<string> _requests = [];

    public long RoundTrips => Interlocked.Read(ref _roundTrips);
    public long EntitiesRead => Interlocked.Read(ref _entitiesRead);

    /// <summary>"METHOD path" of each request since the last reset, for a readable assertion message.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _roundTrips, 0);
        Interlocked.Exchange(ref _entitiesRead, 0);
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ProcessNext(message, pipeline);
        Count(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        Count(message);
    }

    private void Count(HttpMessage message)
    {
        Interlocked.Increment(ref _roundTrips);
        lock (_gate)
        {
            _requests.Add($"{message.Request.Method} {message.Request.Uri.Path}");
        }
        if (message.Request.Method != RequestMethod.Get || message.Response.Status != 200 || message.Response.Content is null)
        {
            return;
        }
        using var document = JsonDocument.Parse(message.Response.Content.ToMemory());
        var read = document.RootElement.TryGetProperty("value", out var values) && values.ValueKind == JsonValueKind.Array
            ? values.GetArrayLength()
            : 1;
        Interlocked.Add(ref _entitiesRead, read);
    }
}
