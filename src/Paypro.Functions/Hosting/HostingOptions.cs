namespace Paypro.Functions.Hosting;

/// <summary>How the app is started and who fires its triggers.</summary>
public enum HostingMode
{
    /// <summary><see cref="FunctionsHost"/> when the host's <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> is set, else <see cref="SelfHosted"/>.</summary>
    Auto,

    /// <summary>
    /// The Azure Functions host starts the app as a custom handler: it checks function keys, forwards HTTP
    /// requests and invokes queue and timer functions with <c>POST /{FunctionName}</c>.
    /// </summary>
    FunctionsHost,

    /// <summary>
    /// No host: the app listens on the queues and fires the timers itself, with the host's semantics, and
    /// checks function keys on <c>/api</c> routes itself.
    /// </summary>
    SelfHosted,
}

/// <summary>Settings of the hosting layer (configuration section <c>Hosting</c>, environment <c>Hosting__*</c>).</summary>
public sealed class HostingOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Hosting";

    /// <summary>The variable the Functions host sets to the port the custom handler must listen on.</summary>
    public const string CustomHandlerPortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>The hosting mode. After configuration it is never <see cref="HostingMode.Auto"/>.</summary>
    public HostingMode Mode { get; set; } = HostingMode.Auto;

    /// <summary>
    /// Self-hosted mode only: the key every <c>/api</c> request must carry as <c>?code=</c> or
    /// <c>x-functions-key</c>. Under the host the host checks keys and this is ignored.
    /// </summary>
    public string? FunctionKey { get; set; }

    /// <summary>Deliveries of a queue message before a failure moves it to the poison queue (host.json <c>maxDequeueCount</c>).</summary>
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>
    /// Self-hosted mode: how long a received message stays invisible, renewed while the function runs, and
    /// the wait before a failed message is retried (host.json <c>visibilityTimeout</c>).
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Self-hosted mode: the longest wait between polls of an empty queue (host.json <c>maxPollingInterval</c>).</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The port the host assigned (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c>), when it did.</summary>
    internal int? CustomHandlerPort { get; set; }

    internal List<string> ConfigurationErrors { get; } = [];
}
