namespace Paypro.Sandbox;

/// <summary>
/// Settings of the sandbox (configuration section <c>Sandbox</c>). The sandbox reads them when it
/// uses them, so a test may change <see cref="SignCallbacks"/>, <see cref="DefaultNotifyUrl"/>,
/// <see cref="NotifyUrlOverride"/>, <see cref="AppSecret"/> or the delays of a running sandbox;
/// <see cref="BalancePath"/> and <see cref="Faults"/> are read once at start.
/// </summary>
public sealed class SandboxOptions
{
    /// <summary>The configuration section the standalone sandbox binds.</summary>
    public const string SectionName = "Sandbox";

    /// <summary>The development secret used when none is configured. It is public, so it protects nothing.</summary>
    public const string DevelopmentSecret = "sandbox-dev-secret-not-for-production";

    /// <summary>
    /// Paypro's notify retry schedule: the waits between consecutive attempts after the first one
    /// (8 retries within 24 h). Multiplied by <see cref="TimeScale"/>.
    /// </summary>
    public static IReadOnlyList<TimeSpan> CallbackRetryIntervals { get; } =
    [
        TimeSpan.FromSeconds(2),
        TimeSpan.FromSeconds(5),
        TimeSpan.FromSeconds(10),
        TimeSpan.FromSeconds(30),
        TimeSpan.FromHours(1),
        TimeSpan.FromHours(3),
        TimeSpan.FromHours(3),
        TimeSpan.FromHours(3),
    ];

    /// <summary>The merchant the sandbox knows (header <c>merchantNo</c>, 10 digits).</summary>
    public string MerchantNo { get; set; } = "1000000001";

    /// <summary>The app secret requests and callbacks are signed with.</summary>
    public string AppSecret { get; set; } = DevelopmentSecret;

    /// <summary>Where the secret goes in the signed string; must match the client's setting.</summary>
    public SaltPosition SaltPosition { get; set; } = SaltPosition.Append;

    /// <summary>
    /// Multiplies Paypro's own waits: the callback retry schedule, <see cref="SuccessDelay"/> and
    /// <see cref="LongProcessingDelay"/>. 0.001 turns seconds into milliseconds. Fault delays are not scaled.
    /// </summary>
    public double TimeScale { get; set; } = 1.0;

    /// <summary>Whether callbacks carry <c>timestamp</c> and <c>sign</c> (Paypro Kenya's page lists neither).</summary>
    public bool SignCallbacks { get; set; } = true;

    /// <summary>Whether the <c>/_sandbox/...</c> control endpoints answer; off by default.</summary>
    public bool ControlEnabled { get; set; }

    /// <summary>Where callbacks go when a request carries no <c>notifyUrl</c>.</summary>
    public string? DefaultNotifyUrl { get; set; }

    /// <summary>When set, every callback goes here, whatever the request's <c>notifyUrl</c> says.</summary>
    public string? NotifyUrlOverride { get; set; }

    /// <summary>The available balance, in whole shillings, at start and after a reset.</summary>
    public long InitialBalance { get; set; } = 10_000_000;

    /// <summary>How long an ordinary transaction stays processing (0015) before it succeeds.</summary>
    public TimeSpan SuccessDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a transaction whose mobile ends in 13 stays processing before it succeeds.</summary>
    public TimeSpan LongProcessingDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The balance path; Paypro does not publish one for Kenya.</summary>
    public string BalancePath { get; set; } = "/api/balance";

    /// <summary>How long one callback attempt waits for the merchant's answer.</summary>
    public TimeSpan CallbackTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The seed of the random source behind <see cref="SandboxFault.Probability"/>, so runs repeat.</summary>
    public int FaultSeed { get; set; } = 1;

    /// <summary>Faults active from start (<c>Sandbox:Faults:0:Kind</c>, ...).</summary>
    public List<SandboxFault> Faults { get; set; } = [];

    internal SandboxOptions Clone()
    {
        var copy = (SandboxOptions)MemberwiseClone();
        copy.Faults = [.. Faults];
        return copy;
    }

    /// <summary>
    /// Takes the settings that may change while the sandbox runs (all but the merchant, balance path, faults and control switch).
    /// </summary>
    internal void CopyRuntimeSettingsFrom(SandboxOptions other)
    {
        AppSecret = other.AppSecret;
        SaltPosition = other.SaltPosition;
        TimeScale = other.TimeScale;
        SignCallbacks = other.SignCallbacks;
        DefaultNotifyUrl = other.DefaultNotifyUrl;
        NotifyUrlOverride = other.NotifyUrlOverride;
        SuccessDelay = other.SuccessDelay;
        LongProcessingDelay = other.LongProcessingDelay;
        CallbackTimeout = other.CallbackTimeout;
    }

    internal TimeSpan Scale(TimeSpan delay) =>
        delay <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Min(delay.Ticks * TimeScale, TimeSpan.MaxValue.Ticks / 2));
}
