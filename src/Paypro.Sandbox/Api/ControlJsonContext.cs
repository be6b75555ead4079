using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Paypro.Sandbox.Api;

/// <summary>
/// The control endpoints' JSON, generated at compile time so nothing needs reflection: camelCase
/// names, nulls written, enums as their names, durations as <c>hh:mm:ss</c>. A body with a property
/// its type does not have is refused. Use <see cref="ControlJson.Context"/>, which writes text as itself.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    Converters =
    [
        typeof(NameOnly<FaultKind>),
        typeof(NameOnly<SaltPosition>),
        typeof(NameOnly<SandboxTransactionKind>),
        typeof(NameOnly<CallbackState>),
        typeof(NameOnly<CallbackOutcome>),
        typeof(DurationConverter),
    ])]
[JsonSerializable(typeof(LedgerJson))]
[JsonSerializable(typeof(SandboxLedgerEntry))]
[JsonSerializable(typeof(CallbacksJson))]
[JsonSerializable(typeof(CallbackNotification))]
[JsonSerializable(typeof(FaultsJson))]
[JsonSerializable(typeof(SettingsJson))]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(FaultBody))]
[JsonSerializable(typeof(StateBody))]
[JsonSerializable(typeof(AmountBody))]
[JsonSerializable(typeof(SettingsBody))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;

/// <summary>An enum as its name, read in any case; a number (<c>3</c> or <c>"3"</c>) is refused.</summary>
internal sealed class NameOnly<TEnum>() : JsonStringEnumConverter<TEnum>(namingPolicy: null, allowIntegerValues: false)
    where TEnum : struct, Enum;

/// <summary>
/// A <see cref="TimeSpan"/> written in the constant format (<c>00:00:02</c>, <c>1.02:00:00</c>,
/// <c>00:00:00.2500000</c>) and read as configuration reads one (<c>00:00:00.250</c> too).
/// </summary>
internal sealed class DurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && TimeSpan.TryParse(reader.GetString(), CultureInfo.InvariantCulture, out var duration)
            ? duration
            : throw new JsonException();

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString("c", CultureInfo.InvariantCulture));
}
