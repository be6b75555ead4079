using System.Globalization;
using System.Text.Json;

namespace Paypro.Functions.DevHost;

/// <summary>
/// The host.json settings the development host honours, read the way the Functions host reads them: the
/// file beside the app, overridden by app settings named <c>AzureFunctionsJobHost__path__to__setting</c>.
/// </summary>
internal sealed record HostJson
{
    public const string FileName = "host.json";
    private const string OverridePrefix = "AzureFunctionsJobHost";

    /// <summary><c>extensions.http.routePrefix</c>: the segment in front of every HTTP route.</summary>
    public string RoutePrefix { get; init; } = "api";

    /// <summary><c>extensions.queues.maxDequeueCount</c>: deliveries of a failing message before it is moved to the poison queue.</summary>
    public int MaxDequeueCount { get; init; } = 5;

    /// <summary><c>extensions.queues.visibilityTimeout</c>: the wait before a failed message is delivered again.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.Zero;

    /// <summary><c>extensions.queues.maxPollingInterval</c>: the longest wait between polls of an empty queue.</summary>
    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary><c>extensions.queues.batchSize</c>: messages received at once.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary><c>extensions.queues.newBatchThreshold</c>: a new batch is fetched when fewer than this many are still running.</summary>
    public int NewBatchThreshold { get; init; } = 8;

    /// <summary><c>functionTimeout</c>: how long one invocation may run.</summary>
    public TimeSpan? FunctionTimeout { get; init; }

    /// <summary>Messages in flight at once per queue, as the host computes it.</summary>
    public int QueueConcurrency => BatchSize + NewBatchThreshold;

    /// <summary>Reads host.json from <paramref name="directory"/> (the app's output folder by default) and applies overrides from configuration.</summary>
    public static HostJson Load(IConfiguration configuration, string? directory = null)
    {
        var path = Path.Combine(directory ?? AppContext.BaseDirectory, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: the development host reads the app's host.json, which the build copies beside it.");
        }
        using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = document.RootElement;
        string? Read(string settingPath)
        {
            var fromSettings = configuration[OverridePrefix + ":" + settingPath];
            if (fromSettings is not null)
            {
                return fromSettings;
            }
            var element = root;
            foreach (var part in settingPath.Split(':'))
            {
                if (element.ValueKind != JsonValueKind.Object || !TryGetPropertyIgnoreCase(element, part, out element))
                {
                    return null;
                }
            }
            return element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
        }

        var defaults = new HostJson();
        return new HostJson
        {
            RoutePrefix = (Read("extensions:http:routePrefix") ?? defaults.RoutePrefix).Trim('/'),
            MaxDequeueCount = Int(Read("extensions:queues:maxDequeueCount"), "extensions.queues.maxDequeueCount", defaults.MaxDequeueCount, 1, 1000),
            VisibilityTimeout = Span(Read("extensions:queues:visibilityTimeout"), "extensions.queues.visibilityTimeout", defaults.VisibilityTimeout),
            MaxPollingInterval = Span(Read("extensions:queues:maxPollingInterval"), "extensions.queues.maxPollingInterval", defaults.MaxPollingInterval),
            BatchSize = Int(Read("extensions:queues:batchSize"), "extensions.queues.batchSize", defaults.BatchSize, 1, 32),
            NewBatchThreshold = Int(Read("extensions:queues:newBatchThreshold"), "extensions.queues.newBatchThreshold", defaults.NewBatchThreshold, 0, 1000),
            FunctionTimeout = Read("functionTimeout") is { } timeout ? Span(timeout, "functionTimeout", TimeSpan.Zero) : null,
        };
    }

    internal static bool TryGetPropertyIgnoreCase(JsonElement element, string name, out JsonElement value)
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

    private static int Int(string? text, string setting, int fallback, int min, int max)
    {
        if (text is null)
        {
            return fallback;
        }
        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new InvalidOperationException($"host.json {setting} must be a whole number from {min} to {max}; got '{text}'.");
        }
        return value;
    }

    private static TimeSpan Span(string? text, string setting, TimeSpan fallback)
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
}
