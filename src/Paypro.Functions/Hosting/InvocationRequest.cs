using System.Globalization;
using System.Text.Json;

namespace Paypro.Functions.Hosting;

/// <summary>A custom-handler invocation payload that cannot be turned into a trigger.</summary>
internal sealed class InvocationFormatException(string message) : Exception(message);

/// <summary>
/// Reads the Functions host's invocation payload <c>{ "Data": {...}, "Metadata": {...} }</c> for queue and
/// timer functions. The host serialises binding data loosely, so every field is read the tolerant way.
/// </summary>
internal static class InvocationRequest
{
    public static QueueTrigger ReadQueueTrigger(JsonElement root, QueueFunctionDescriptor function, string queueName, int maxDequeueCount)
    {
        var data = RequireObject(root, "Data");
        if (!TryGetProperty(data, function.BindingName, out var message) || message.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            throw new InvocationFormatException($"The invocation has no Data.{function.BindingName}: the queue trigger binding in function.json must be named '{function.BindingName}'.");
        }

        var metadata = RequireObject(root, "Metadata");
        var id = ReadText(metadata, "Id") is { Length: > 0 } text
            ? text
            : throw new InvocationFormatException("The invocation has no Metadata.Id.");
        var dequeueCount = ReadInt64(metadata, "DequeueCount")
            ?? throw new InvocationFormatException("The invocation has no Metadata.DequeueCount.");
        if (dequeueCount < 1)
        {
            throw new InvocationFormatException($"Metadata.DequeueCount must be at least 1; got {dequeueCount}.");
        }

        return new QueueTrigger(function.Name, queueName, MessageText(message), id, dequeueCount, ReadTime(metadata, "InsertionTime"), maxDequeueCount);
    }

    public static TimerTrigger ReadTimerTrigger(JsonElement root, TimerFunctionDescriptor function)
    {
        var data = RequireObject(root, "Data");
        if (!TryGetProperty(data, function.BindingName, out var timer) || timer.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            throw new InvocationFormatException($"The invocation has no Data.{function.BindingName}: the timer trigger binding in function.json must be named '{function.BindingName}'.");
        }

        // Like queue text, the timer info may arrive as a string holding the JSON object.
        using var nested = timer.ValueKind == JsonValueKind.String ? ParseNested(timer.GetString()!, function.BindingName) : null;
        var info = nested?.RootElement ?? timer;
        if (info.ValueKind != JsonValueKind.Object)
        {
            throw new InvocationFormatException($"Data.{function.BindingName} must be an object with Schedule, ScheduleStatus and IsPastDue.");
        }

        var isPastDue = ReadBoolean(info, "IsPastDue") ?? false;
        DateTimeOffset? last = null, next = null;
        if (TryGetProperty(info, "ScheduleStatus", out var status) && status.ValueKind == JsonValueKind.Object)
        {
            last = ReadTime(status, "Last");
            next = ReadTime(status, "Next");
        }
        return new TimerTrigger(function.Name, isPastDue, last, next);
    }

    /// <summary>
    /// The host hands a queue message's text over as a JSON string that itself holds a JSON string literal
    /// (<c>"\"{\\\"a\\\":1}\""</c>): one layer of quotes too many. Peel exactly that layer. A plain string is
    /// the text itself, and an object or array (older hosts parse JSON messages) is its own JSON text.
    /// </summary>
    internal static string MessageText(JsonElement message) => message.ValueKind switch
    {
        JsonValueKind.String => Unquote(message.GetString()!),
        JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => message.GetRawText(),
        _ => throw new InvocationFormatException("The queue message is neither text nor JSON."),
    };

    /// <summary>Removes the extra JSON quotes the host puts around metadata such as <c>Id</c> and <c>PopReceipt</c>.</summary>
    internal static string Unquote(string text)
    {
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            try
            {
                using var literal = JsonDocument.Parse(text);
                if (literal.RootElement.ValueKind == JsonValueKind.String)
                {
                    return literal.RootElement.GetString()!;
                }
            }
            catch (JsonException)
            {
                // Not a JSON string literal after all: the quotes belong to the text.
            }
        }
        return text;
    }

    private static JsonElement RequireObject(JsonElement root, string name)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvocationFormatException("The invocation body must be a JSON object with Data and Metadata.");
        }
        if (!TryGetProperty(root, name, out var value) || value.ValueKind != JsonValueKind.Object)
        {
            throw new InvocationFormatException($"The invocation has no {name} object.");
        }
        return value;
    }

    private static JsonDocument ParseNested(string text, string bindingName)
    {
        try
        {
            return JsonDocument.Parse(Unquote(text));
        }
        catch (JsonException)
        {
            throw new InvocationFormatException($"Data.{bindingName} is a string that does not hold JSON.");
        }
    }

    private static string? ReadText(JsonElement parent, string name)
    {
        if (!TryGetProperty(parent, name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => Unquote(value.GetString()!),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }

    private static long? ReadInt64(JsonElement parent, string name)
    {
        if (TryGetProperty(parent, name, out var value) && value.ValueKind == JsonValueKind.Number)
        {
            return value.TryGetInt64(out var number) ? number : throw new InvocationFormatException($"Metadata.{name} must be a whole number.");
        }
        // The host sends DequeueCount as a string.
        if (ReadText(parent, name) is not { } text)
        {
            return null;
        }
        return long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new InvocationFormatException($"Metadata.{name} must be a whole number; got '{text}'.");
    }

    private static bool? ReadBoolean(JsonElement parent, string name) => ReadText(parent, name) switch
    {
        null => null,
        var text when bool.TryParse(text.Trim(), out var value) => value,
        var text => throw new InvocationFormatException($"{name} must be true or false; got '{text}'."),
    };

    private static DateTimeOffset? ReadTime(JsonElement parent, string name)
    {
        if (ReadText(parent, name) is not { Length: > 0 } text)
        {
            return null;
        }
        if (!DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            throw new InvocationFormatException($"{name} must be a date and time; got '{text}'.");
        }
        // The host reports "never" as DateTime.MinValue.
        return time == DateTimeOffset.MinValue ? null : time;
    }

    private static bool TryGetProperty(JsonElement parent, string name, out JsonElement value)
    {
        if (parent.TryGetProperty(name, out value))
        {
            return true;
        }
        foreach (var property in parent.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }
        return false;
    }
}
