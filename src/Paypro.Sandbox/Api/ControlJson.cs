using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Paypro.Sandbox.Api;

/// <summary>The control endpoints' answers, and their bodies read with an error that names what is wrong.</summary>
internal static class ControlJson
{
    private const string NotAnObject = "The body must be a JSON object.";

    /// <summary>
    /// <see cref="ControlJsonContext"/> writing text as itself, as <see cref="PayproJson"/> does: the
    /// callback bodies and notify URLs in the answers read as they were sent.
    /// </summary>
    public static readonly ControlJsonContext Context = new(new JsonSerializerOptions(ControlJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    public static IResult Error(string message, int statusCode = StatusCodes.Status400BadRequest) =>
        TypedResults.Json(new ErrorJson(message), Context.ErrorJson, statusCode: statusCode);

    public static IResult Ledger(SandboxLedger ledger) =>
        TypedResults.Json(new LedgerJson(ledger.Balance, ledger.Entries, ledger.Requests), Context.LedgerJson);

    public static IResult Entry(SandboxLedgerEntry entry) => TypedResults.Json(entry, Context.SandboxLedgerEntry);

    public static IResult Callbacks(IReadOnlyList<CallbackNotification> notifications, IReadOnlyList<CallbackAttempt> attempts) =>
        TypedResults.Json(new CallbacksJson(notifications, [.. attempts.Select(AttemptJson.From)]), Context.CallbacksJson);

    public static IResult Notification(CallbackNotification notification, int statusCode) =>
        TypedResults.Json(notification, Context.CallbackNotification, statusCode: statusCode);

    public static IResult Faults(IEnumerable<SandboxFaultStatus> faults, int statusCode = StatusCodes.Status200OK) =>
        TypedResults.Json(new FaultsJson([.. faults.Select(FaultJson.From)]), Context.FaultsJson, statusCode: statusCode);

    public static IResult Settings(SandboxOptions options) => TypedResults.Json(SettingsJson.From(options), Context.SettingsJson);

    /// <summary>
    /// Reads a control request's body: a JSON object of at most <see cref="PayproPipeline.MaxBodyBytes"/>
    /// with only <typeparamref name="T"/>'s properties, each of its type. Otherwise the body is null and
    /// the error says what is wrong in the JSON's terms (a property's name, the type it must have).
    /// </summary>
    public static async Task<(T? Body, string? Error)> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> typeInfo)
        where T : class, IControlBody
    {
        var body = await PayproPipeline.ReadBodyAsync(http.Request, http.RequestAborted).ConfigureAwait(false);
        return body is null ? (null, "The body is too large.") : Parse(body, typeInfo);
    }

    private static (T? Body, string? Error) Parse<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> typeInfo)
        where T : class, IControlBody
    {
        if (json.StartsWith(Utf8Bom))
        {
            json = json[Utf8Bom.Length..];
        }
        try
        {
            return JsonSerializer.Deserialize(json, typeInfo) is { } body ? (body, null) : (null, NotAnObject);
        }
        catch (JsonException ex) when (ex.InnerException is JsonException)
        {
            // The reader's own error: the text is not JSON at all.
            return (null, $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }
        catch (JsonException ex)
        {
            return (null, Problem(ex.Path, json, typeInfo));
        }
    }

    // A body is flat, so a value's error has the path of its property: $.name, or $['name'] when the
    // name needs quoting. At the root it is a body that is no object, or one without a required property.
    private static string Problem<T>(string? path, ReadOnlySpan<byte> json, JsonTypeInfo<T> typeInfo)
        where T : IControlBody
    {
        var name = path switch
        {
            ['$', '.', .. var rest] => rest,
            ['$', '[', '\'', .. var rest, '\'', ']'] => rest,
            _ => null,
        };
        if (name is null)
        {
            var required = typeInfo.Properties.Where(p => p.IsRequired).Select(p => p.Name).ToArray();
            return required.Length > 0 && StartsAnObject(json)
                ? $"{List(required)} {(required.Length == 1 ? "is" : "are")} required."
                : NotAnObject;
        }
        return typeInfo.Properties.FirstOrDefault(p => p.Name == name) is { } property
            ? $"{name} must be {Expected(property.PropertyType)}."
            : T.UnknownProperty(name.Length > 40 ? name[..40] + "…" : name, List(typeInfo.Properties.Select(p => p.Name).ToArray()));
    }

    private static bool StartsAnObject(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return reader.Read() && reader.TokenType == JsonTokenType.StartObject;
    }

    /// <summary>
    /// What a JSON value must be to read as <paramref name="type"/>, with the converters of <see cref="ControlJsonContext"/>.
    /// </summary>
    private static string Expected(Type type)
    {
        var nullable = Nullable.GetUnderlyingType(type);
        var value = nullable ?? type;
        var expected = value == typeof(string) ? "a string"
            : value == typeof(bool) ? "true or false"
            : value == typeof(int) || value == typeof(long) ? "a whole number"
            : value == typeof(double) ? "a number"
            : value == typeof(TimeSpan) ? "a duration written as hh:mm:ss(.fff), for example \"00:00:02\""
            : value.IsEnum ? OneOf(Enum.GetNames(value))
            : throw new UnreachableException($"A control body has a property of type {value}.");
        return nullable is not null || value == typeof(string) ? expected + " or null" : expected;
    }

    private static string OneOf(string[] names) => names.Length == 2 ? $"{names[0]} or {names[1]}" : "one of: " + string.Join(", ", names);

    private static string List(string[] names) =>
        names.Length < 2 ? string.Concat(names) : string.Join(", ", names[..^1]) + " and " + names[^1];
}
