using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using Google.Protobuf;
using Microsoft.Azure.Functions.Worker.Grpc.Messages;
using TimerInfo = Microsoft.Azure.Functions.Worker.TimerInfo;

namespace Paypro.Functions.DevHost.Emulator;

/// <summary>
/// The trigger values and trigger metadata the host sends in an invocation request, in the shapes the worker's
/// converters read: a <c>QueueMessage</c> as model binding data (source <c>AzureStorageQueues</c>, JSON with the
/// property names the queue extension's QueueMessageJsonConverter reads), a <c>TimerInfo</c> as JSON.
/// </summary>
internal static class TriggerPayloads
{
    public const string QueueSource = "AzureStorageQueues";
    public const string JsonContentType = "application/json";

    public static TypedData QueueMessage(QueueMessage message) => new()
    {
        ModelBindingData = new ModelBindingData
        {
            Version = "1.0",
            Source = QueueSource,
            ContentType = JsonContentType,
            Content = ByteString.CopyFrom(Json(writer =>
            {
                writer.WriteString("MessageId", message.MessageId);
                writer.WriteString("PopReceipt", message.PopReceipt);
                writer.WriteString("MessageText", message.Body?.ToString() ?? "");
                writer.WriteNumber("DequeueCount", message.DequeueCount);
                WriteTime(writer, "NextVisibleOn", message.NextVisibleOn);
                WriteTime(writer, "InsertedOn", message.InsertedOn);
                WriteTime(writer, "ExpiresOn", message.ExpiresOn);
            })),
        },
    };

    /// <summary>
    /// The queue trigger's binding data, under the names the host's queue extension gives it. Values other than strings
    /// go as JSON, as the host sends them (the worker does not read TypedData's int).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, TypedData>> QueueMetadata(QueueMessage message)
    {
        yield return new("QueueTrigger", new TypedData { String = message.Body?.ToString() ?? "" });
        yield return new("Id", new TypedData { String = message.MessageId });
        yield return new("PopReceipt", new TypedData { String = message.PopReceipt });
        yield return new("DequeueCount", new TypedData { Json = message.DequeueCount.ToString(CultureInfo.InvariantCulture) });
        foreach (var (name, time) in new[]
        {
            ("InsertionTime", message.InsertedOn),
            ("ExpirationTime", message.ExpiresOn),
            ("NextVisibleTime", message.NextVisibleOn)
        })
        {
            if (time is { } value)
            {
                yield return new(
                    name,
                    new TypedData { Json = JsonSerializer.Serialize(value.ToString("O", CultureInfo.InvariantCulture)) });
            }
        }
    }

    public static TypedData TimerInfo(TimerInfo timer) => new()
    {
        Json = Encoding.UTF8.GetString(Json(writer =>
        {
            if (timer.ScheduleStatus is { } status)
            {
                writer.WriteStartObject("ScheduleStatus");
                writer.WriteString("Last", status.Last);
                writer.WriteString("Next", status.Next);
                writer.WriteString("LastUpdated", status.LastUpdated);
                writer.WriteEndObject();
            }
            writer.WriteBoolean("IsPastDue", timer.IsPastDue);
        })),
    };

    /// <summary>The <c>sys</c> binding data the host adds to every invocation.</summary>
    public static KeyValuePair<string, TypedData> System(string functionName, DateTimeOffset now) => new("sys", new TypedData
    {
        Json = Encoding.UTF8.GetString(Json(writer =>
        {
            writer.WriteString("MethodName", functionName);
            writer.WriteString("UtcNow", now.UtcDateTime);
            writer.WriteString("RandGuid", Guid.NewGuid());
        })),
    });

    private static void WriteTime(Utf8JsonWriter writer, string name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            writer.WriteString(name, value);
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
