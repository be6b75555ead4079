using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// The events queue as a consumer reads it: each read receives and deletes whatever arrived since the last one and
/// returns every event seen so far, in arrival order. One reader at a time.
/// </summary>
internal sealed class EventsReader(QueueClient queue)
{
    private readonly List<JsonElement> _events = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Every event received on the queue so far (received and deleted, kept here).</summary>
    public async Task<IReadOnlyList<JsonElement>> ReadAsync()
    {
        await _gate.WaitAsync();
        try
        {
            while (true)
            {
                QueueMessage[] batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value;
                if (batch.Length == 0)
                {
                    return [.. _events];
                }
                foreach (var message in batch)
                {
                    using var document = JsonDocument.Parse(message.Body.ToString());
                    _events.Add(document.RootElement.Clone());
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The events of one tradeNo seen so far.</summary>
    public async Task<IReadOnlyList<JsonElement>> ReadAsync(string tradeNo) =>
        [.. (await ReadAsync()).Where(e => e.GetProperty("tradeNo").GetString() == tradeNo)];
}
