using System.Globalization;
using System.Text.Json;

namespace Paypro.Sandbox.Api;

/// <summary>The control endpoints' JSON, written and read by hand so nothing needs reflection.</summary>
internal static class ControlJson
{
    public static Utf8JsonResult Error(string message, int statusCode = StatusCodes.Status400BadRequest) =>
        new(PayproJson.Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("error", message);
            writer.WriteEndObject();
        }), statusCode);

    public static Utf8JsonResult Ledger(SandboxLedger ledger) => new(PayproJson.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartObject("balance");
        WriteBalance(writer, ledger.Balance);
        writer.WriteEndObject();
        writer.WriteStartArray("entries");
        foreach (var entry in ledger.Entries)
        {
            WriteEntry(writer, entry);
        }
        writer.WriteEndArray();
        writer.WriteStartArray("requests");
        foreach (var request in ledger.Requests)
        {
            writer.WriteStartObject();
            writer.WriteNumber("sequence", request.Sequence);
            writer.WriteString("endpoint", request.Endpoint);
            writer.WriteString("receivedAt", request.ReceivedAt);
            WriteStringOrNull(writer, "tradeNo", request.TradeNo);
            WriteStringOrNull(writer, "code", request.Code);
            writer.WriteBoolean("executed", request.Executed);
            writer.WriteBoolean("isCreate", request.IsCreate);
            WriteStringOrNull(writer, "fault", request.Fault?.ToString());
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }));

    public static Utf8JsonResult Entry(SandboxLedgerEntry entry) => new(PayproJson.Write(writer => WriteEntry(writer, entry)));

    public static Utf8JsonResult Callbacks(IReadOnlyList<CallbackNotification> notifications, IReadOnlyList<CallbackAttempt> attempts) => new(PayproJson.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("notifications");
        foreach (var notification in notifications)
        {
            WriteNotification(writer, notification);
        }
        writer.WriteEndArray();
        writer.WriteStartArray("attempts");
        foreach (var attempt in attempts)
        {
            writer.WriteStartObject();
            writer.WriteNumber("notificationId", attempt.NotificationId);
            writer.WriteNumber("attempt", attempt.Attempt);
            writer.WriteString("tradeNo", attempt.TradeNo);
            writer.WriteString("status", attempt.Status);
            writer.WriteString("target", attempt.Target);
            writer.WriteString("scheduledAt", attempt.ScheduledAt);
            writer.WriteString("attemptedAt", attempt.AttemptedAt);
            if (attempt.StatusCode is { } code)
            {
                writer.WriteNumber("statusCode", code);
            }
            else
            {
                writer.WriteNull("statusCode");
            }
            WriteStringOrNull(writer, "responseText", attempt.ResponseText);
            writer.WriteString("outcome", attempt.Outcome.ToString());
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }));

    public static Utf8JsonResult Notification(CallbackNotification notification, int statusCode) =>
        new(PayproJson.Write(writer => WriteNotification(writer, notification)), statusCode);

    public static Utf8JsonResult Faults(IReadOnlyList<SandboxFaultStatus> faults, int statusCode = StatusCodes.Status200OK) => new(PayproJson.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("faults");
        foreach (var status in faults)
        {
            var fault = status.Fault;
            writer.WriteStartObject();
            writer.WriteNumber("id", status.Id);
            writer.WriteString("kind", fault.Kind.ToString());
            WriteStringOrNull(writer, "endpoint", fault.Endpoint);
            WriteStringOrNull(writer, "tradeNo", fault.TradeNo);
            WriteNumberOrNull(writer, "count", fault.Count);
            if (fault.Probability is { } probability)
            {
                writer.WriteNumber("probability", probability);
            }
            else
            {
                writer.WriteNull("probability");
            }
            writer.WriteString("delay", fault.Delay.ToString("c", CultureInfo.InvariantCulture));
            WriteNumberOrNull(writer, "statusCode", fault.StatusCode);
            WriteNumberOrNull(writer, "remaining", status.Remaining);
            writer.WriteNumber("fired", status.Fired);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }), statusCode);

    /// <summary>The settings a test may read; never the secret.</summary>
    public static Utf8JsonResult Settings(SandboxOptions options) => new(PayproJson.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("merchantNo", options.MerchantNo);
        writer.WriteString("saltPosition", options.SaltPosition.ToString());
        writer.WriteNumber("timeScale", options.TimeScale);
        writer.WriteBoolean("signCallbacks", options.SignCallbacks);
        WriteStringOrNull(writer, "defaultNotifyUrl", options.DefaultNotifyUrl);
        WriteStringOrNull(writer, "notifyUrlOverride", options.NotifyUrlOverride);
        writer.WriteNumber("initialBalance", options.InitialBalance);
        writer.WriteString("successDelay", options.SuccessDelay.ToString("c", CultureInfo.InvariantCulture));
        writer.WriteString("longProcessingDelay", options.LongProcessingDelay.ToString("c", CultureInfo.InvariantCulture));
        writer.WriteString("callbackTimeout", options.CallbackTimeout.ToString("c", CultureInfo.InvariantCulture));
        writer.WriteString("balancePath", options.BalancePath);
        writer.WriteEndObject();
    }));

    /// <summary>Parses a control request's body: a JSON object of at most <see cref="PayproPipeline.MaxBodyBytes"/>.</summary>
    public static async Task<(JsonDocument? Document, string? Error)> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > PayproPipeline.MaxBodyBytes)
        {
            return (null, "The body is too large.");
        }
        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 4 }, cancellationToken).ConfigureAwait(false);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return (null, "The body must be a JSON object.");
            }
            return (document, null);
        }
        catch (JsonException ex)
        {
            return (null, $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }
    }

    /// <summary>Reads a fault from JSON (<c>kind</c>, <c>endpoint</c>, <c>tradeNo</c>, <c>count</c>, <c>probability</c>, <c>delay</c>, <c>statusCode</c>).</summary>
    public static SandboxFault ReadFault(JsonElement root)
    {
        var fault = new SandboxFault();
        var hasKind = false;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "kind":
                    if (value.ValueKind != JsonValueKind.String || !Enum.TryParse<FaultKind>(value.GetString(), ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || char.IsAsciiDigit(value.GetString()![0]))
                    {
                        throw new FormatException($"kind must be one of: {string.Join(", ", Enum.GetNames<FaultKind>())}.");
                    }
                    fault.Kind = kind;
                    hasKind = true;
                    break;
                case "endpoint":
                    fault.Endpoint = ReadStringOrNull(value, "endpoint");
                    break;
                case "tradeNo":
                    fault.TradeNo = ReadStringOrNull(value, "tradeNo");
                    break;
                case "count":
                    fault.Count = value.ValueKind == JsonValueKind.Null ? null : ReadInt(value, "count");
                    break;
                case "probability":
                    fault.Probability = value.ValueKind == JsonValueKind.Null ? null
                        : value.ValueKind == JsonValueKind.Number ? value.GetDouble()
                        : throw new FormatException("probability must be a number between 0 and 1, or null.");
                    break;
                case "delay":
                    fault.Delay = ReadTimeSpan(value, "delay");
                    break;
                case "statusCode":
                    fault.StatusCode = value.ValueKind == JsonValueKind.Null ? null : ReadInt(value, "statusCode");
                    break;
                default:
                    throw new FormatException($"Unknown property '{Printable(property.Name)}'; a fault has kind, endpoint, tradeNo, count, probability, delay and statusCode.");
            }
        }
        return hasKind ? fault : throw new FormatException("kind is required.");
    }

    /// <summary>Applies a settings change (<c>PUT /_sandbox/settings</c>) to <paramref name="options"/>.</summary>
    public static void ReadSettings(JsonElement root, SandboxOptions options)
    {
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "signCallbacks":
                    options.SignCallbacks = value.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw new FormatException("signCallbacks must be true or false."),
                    };
                    break;
                case "defaultNotifyUrl":
                    options.DefaultNotifyUrl = ReadStringOrNull(value, "defaultNotifyUrl");
                    break;
                case "notifyUrlOverride":
                    options.NotifyUrlOverride = ReadStringOrNull(value, "notifyUrlOverride");
                    break;
                case "timeScale":
                    options.TimeScale = value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw new FormatException("timeScale must be a number.");
                    break;
                case "successDelay":
                    options.SuccessDelay = ReadTimeSpan(value, "successDelay");
                    break;
                case "longProcessingDelay":
                    options.LongProcessingDelay = ReadTimeSpan(value, "longProcessingDelay");
                    break;
                case "callbackTimeout":
                    options.CallbackTimeout = ReadTimeSpan(value, "callbackTimeout");
                    break;
                case "appSecret":
                    options.AppSecret = ReadStringOrNull(value, "appSecret") ?? "";
                    break;
                case "saltPosition":
                    options.SaltPosition = value.ValueKind == JsonValueKind.String && Enum.TryParse<SaltPosition>(value.GetString(), ignoreCase: true, out var salt) && !char.IsAsciiDigit(value.GetString()![0])
                        ? salt
                        : throw new FormatException("saltPosition must be Append or Prepend.");
                    break;
                default:
                    throw new FormatException($"Unknown or read-only setting '{Printable(property.Name)}'; changeable at run time: signCallbacks, defaultNotifyUrl, notifyUrlOverride, timeScale, successDelay, longProcessingDelay, callbackTimeout, appSecret, saltPosition.");
            }
        }
    }

    public static string? ReadStringOrNull(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        _ => throw new FormatException($"{name} must be a string or null."),
    };

    private static int ReadInt(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw new FormatException($"{name} must be a whole number.");

    private static TimeSpan ReadTimeSpan(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && TimeSpan.TryParse(value.GetString(), CultureInfo.InvariantCulture, out var span)
            ? span
            : throw new FormatException($"{name} must be a duration written as hh:mm:ss(.fff), for example \"00:00:02\".");

    private static string Printable(string name) => name.Length > 40 ? name[..40] + "…" : name;

    private static void WriteEntry(Utf8JsonWriter writer, SandboxLedgerEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", entry.Kind.ToString());
        writer.WriteString("tradeNo", entry.TradeNo);
        writer.WriteString("platFormTradeNo", entry.PlatFormTradeNo);
        writer.WriteNumber("amount", entry.Amount);
        WriteStringOrNull(writer, "mobile", entry.Mobile);
        writer.WriteString("createdAt", entry.CreatedAt);
        writer.WriteString("status", entry.Status);
        writer.WriteString("message", entry.Message);
        if (entry.CompletedAt is { } completed)
        {
            writer.WriteString("completedAt", completed);
        }
        else
        {
            writer.WriteNull("completedAt");
        }
        WriteStringOrNull(writer, "mpesaReceiptNumber", entry.MpesaReceiptNumber);
        writer.WriteEndObject();
    }

    private static void WriteNotification(Utf8JsonWriter writer, CallbackNotification notification)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", notification.Id);
        writer.WriteString("kind", notification.Kind.ToString());
        writer.WriteString("tradeNo", notification.TradeNo);
        writer.WriteString("status", notification.Status);
        WriteStringOrNull(writer, "target", notification.Target);
        writer.WriteString("body", notification.Body);
        writer.WriteString("createdAt", notification.CreatedAt);
        writer.WriteString("state", notification.State.ToString());
        writer.WriteNumber("attempts", notification.Attempts);
        WriteNumberOrNull(writer, "duplicateOf", notification.DuplicateOf);
        WriteStringOrNull(writer, "fault", notification.Fault?.ToString());
        writer.WriteEndObject();
    }

    private static void WriteBalance(Utf8JsonWriter writer, SandboxBalance balance)
    {
        writer.WriteNumber("availableAmount", balance.AvailableAmount);
        writer.WriteNumber("freezeAmount", balance.FreezeAmount);
        writer.WriteNumber("unsettledAmount", balance.UnsettledAmount);
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
