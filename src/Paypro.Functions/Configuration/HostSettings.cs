using System.Globalization;
using System.Text.Json;

namespace Paypro.Functions.Configuration;

/// <summary>
/// host.json as the Functions host applies it: the file beside the worker, each setting overridden by an app setting named
/// <c>AzureFunctionsJobHost__path__to__setting</c>. The app reads it for the one host rule its own code must fit
/// (<see cref="FunctionTimeout"/>); host emulation reads the rest through the same lookup.
/// </summary>
internal sealed class HostSettings
{
    public const string FileName = "host.json";
    public const string OverridePrefix = "AzureFunctionsJobHost";

    /// <summary>host.json's <c>functionTimeout</c> when it has none: the Consumption plan's, the shortest the platform sets.</summary>
    public static readonly TimeSpan DefaultFunctionTimeout = TimeSpan.FromMinutes(5);

    private readonly IConfiguration _configuration;
    private readonly JsonElement _root;

    private HostSettings(IConfiguration configuration, JsonElement root)
    {
        _configuration = configuration;
        _root = root;
    }

    /// <summary>
    /// <c>functionTimeout</c>: how long the host lets one invocation run before it cancels it (and, on some plans, restarts
    /// the instance); null when it is unbounded (<c>-1</c>).
    /// </summary>
    public TimeSpan? FunctionTimeout => Read("functionTimeout") switch
    {
        null => DefaultFunctionTimeout,
        "-1" => null,
        var text => Span(text, "functionTimeout", DefaultFunctionTimeout) is { } value && value > TimeSpan.Zero
            ? value
            : throw new InvalidOperationException(
                $"host.json functionTimeout must be a positive time span such as 00:05:00, or -1 for none; got '{text}'."),
    };

    /// <summary>
    /// Reads host.json from <paramref name="directory"/> (beside the app by default), with overrides from <paramref name="configuration"/>.
    /// </summary>
    public static HostSettings Load(IConfiguration configuration, string? directory = null)
    {
        var path = Path.Combine(directory ?? AppContext.BaseDirectory, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: the app reads the host.json that the build puts beside it.");
        }
        using var document = JsonDocument.Parse(
            File.ReadAllBytes(path),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return new HostSettings(configuration, document.RootElement.Clone());
    }

    /// <summary>
    /// The setting at <paramref name="settingPath"/> (<c>extensions:queues:batchSize</c>): the app setting's override,
    /// else the file's value, else null.
    /// </summary>
    public string? Read(string settingPath)
    {
        if (_configuration[OverridePrefix + ":" + settingPath] is { } fromSettings)
        {
            return fromSettings;
        }
        var element = _root;
        foreach (var part in settingPath.Split(':'))
        {
            if (element.ValueKind != JsonValueKind.Object || !TryGetPropertyIgnoreCase(element, part, out element))
            {
                return null;
            }
        }
        return element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
    }

    /// <summary>A time span setting; <paramref name="fallback"/> when absent, a clear error when it is not a time span.</summary>
    public static TimeSpan Span(string? text, string setting, TimeSpan fallback)
    {
        if (text is null)
        {
            return fallback;
        }
        if (!TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var value) || value < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"host.json {setting} must be a time span such as 00:00:30; got '{text}'.");
        }
        return value;
    }

    /// <summary>
    /// A property of a JSON object by name, ignoring case, as the host reads its own files (host.json,
    /// worker.config.json, functions.metadata).
    /// </summary>
    public static bool TryGetPropertyIgnoreCase(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }
        value = default;
        return false;
    }
}

/// <summary>
/// The function timeout the poll must fit in, from <see cref="HostSettings"/>. A poll stops starting checks after
/// Poll:TimeBudget, and cancels the checks still running at <see cref="HardStop"/>, before the host would cancel it: a check
/// cut short leaves its transaction due, and the outbox invariant keeps what it wrote.
/// </summary>
public sealed record FunctionTimeout(TimeSpan? Value)
{
    /// <summary>When a poll cancels what it still runs: the timeout less a tenth of it, at most 30 s; null when unbounded.</summary>
    public TimeSpan? HardStop => Value is { } limit
        ? limit - TimeSpan.FromTicks(Math.Min(limit.Ticks / 10, TimeSpan.FromSeconds(30).Ticks))
        : null;

    public static FunctionTimeout Read(IConfiguration configuration, string? directory = null) =>
        new(HostSettings.Load(configuration, directory).FunctionTimeout);
}
