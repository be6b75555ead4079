using System.Globalization;
using Paypro.Functions.Configuration;

namespace Paypro.Functions.DevHost;

/// <summary>
/// The host.json settings the development host honours, read the way the Functions host reads them: the
/// file beside the app, overridden by app settings named <c>AzureFunctionsJobHost__path__to__setting</c>.
/// </summary>
internal sealed record HostJson
{
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

    /// <summary>
    /// Reads host.json from <paramref name="directory"/> (the app's output folder by default) and applies overrides from configuration.
    /// </summary>
    public static HostJson Load(IConfiguration configuration, string? directory = null)
    {
        // The app's own reader: the file beside the app, each setting overridden by AzureFunctionsJobHost__path__to__setting.
        var settings = HostSettings.Load(configuration, directory);
        string? Read(string settingPath) => settings.Read(settingPath);

        var defaults = new HostJson();
        return new HostJson
        {
            RoutePrefix = (Read("extensions:http:routePrefix") ?? defaults.RoutePrefix).Trim('/'),
            MaxDequeueCount = Int(
                Read("extensions:queues:maxDequeueCount"),
                "extensions.queues.maxDequeueCount",
                defaults.MaxDequeueCount,
                1,
                1000),
            VisibilityTimeout = HostSettings.Span(
                Read("extensions:queues:visibilityTimeout"),
                "extensions.queues.visibilityTimeout",
                defaults.VisibilityTimeout),
            MaxPollingInterval = HostSettings.Span(
                Read("extensions:queues:maxPollingInterval"),
                "extensions.queues.maxPollingInterval",
                defaults.MaxPollingInterval),
            BatchSize = Int(Read("extensions:queues:batchSize"), "extensions.queues.batchSize", defaults.BatchSize, 1, 32),
            NewBatchThreshold = Int(
                Read("extensions:queues:newBatchThreshold"),
                "extensions.queues.newBatchThreshold",
                defaults.NewBatchThreshold,
                0,
                1000),
            FunctionTimeout = settings.FunctionTimeout,
        };
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
}
