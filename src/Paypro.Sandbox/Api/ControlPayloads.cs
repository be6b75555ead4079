namespace Paypro.Sandbox.Api;

// The control endpoints' payloads, written and read through ControlJsonContext. Ledger entries and
// requests, callback notifications and the balance are written as the in-process records are; the
// shapes here are the ones that differ from a record, and the bodies a test sends.

/// <summary><c>GET /_sandbox/ledger</c>: the balance, every executed transaction and every request received.</summary>
internal sealed record LedgerJson(
    SandboxBalance Balance,
    IReadOnlyList<SandboxLedgerEntry> Entries,
    IReadOnlyList<SandboxRequest> Requests);

/// <summary><c>GET /_sandbox/callbacks</c>: every callback and every delivery attempt.</summary>
internal sealed record CallbacksJson(IReadOnlyList<CallbackNotification> Notifications, IReadOnlyList<AttemptJson> Attempts);

/// <summary>A <see cref="CallbackAttempt"/> without its body, which its notification carries.</summary>
internal sealed record AttemptJson(
    long NotificationId,
    int Attempt,
    string TradeNo,
    string Status,
    string Target,
    DateTimeOffset ScheduledAt,
    DateTimeOffset AttemptedAt,
    int? StatusCode,
    string? ResponseText,
    CallbackOutcome Outcome)
{
    public static AttemptJson From(CallbackAttempt attempt) =>
        new(
            attempt.NotificationId,
            attempt.Attempt,
            attempt.TradeNo,
            attempt.Status,
            attempt.Target,
            attempt.ScheduledAt,
            attempt.AttemptedAt,
            attempt.StatusCode,
            attempt.ResponseText,
            attempt.Outcome);
}

/// <summary><c>GET /_sandbox/faults</c>, and the answer to adding one.</summary>
internal sealed record FaultsJson(IReadOnlyList<FaultJson> Faults);

/// <summary>A <see cref="SandboxFaultStatus"/>: its id, the fault as added, and how often it fired.</summary>
internal sealed record FaultJson(
    int Id,
    FaultKind Kind,
    string? Endpoint,
    string? TradeNo,
    int? Count,
    double? Probability,
    TimeSpan Delay,
    int? StatusCode,
    int? Remaining,
    int Fired)
{
    public static FaultJson From(SandboxFaultStatus status)
    {
        var fault = status.Fault;
        return new(
            status.Id,
            fault.Kind,
            fault.Endpoint,
            fault.TradeNo,
            fault.Count,
            fault.Probability,
            fault.Delay,
            fault.StatusCode,
            status.Remaining,
            status.Fired);
    }
}

/// <summary><c>GET /_sandbox/settings</c>: the settings a test may read; never the secret.</summary>
internal sealed record SettingsJson(
    string MerchantNo,
    SaltPosition SaltPosition,
    double TimeScale,
    bool SignCallbacks,
    string? DefaultNotifyUrl,
    string? NotifyUrlOverride,
    long InitialBalance,
    TimeSpan SuccessDelay,
    TimeSpan LongProcessingDelay,
    TimeSpan CallbackTimeout,
    string BalancePath)
{
    public static SettingsJson From(SandboxOptions options) => new(
        options.MerchantNo,
        options.SaltPosition,
        options.TimeScale,
        options.SignCallbacks,
        options.DefaultNotifyUrl,
        options.NotifyUrlOverride,
        options.InitialBalance,
        options.SuccessDelay,
        options.LongProcessingDelay,
        options.CallbackTimeout,
        options.BalancePath);
}

/// <summary>The answer to a control request that was refused.</summary>
internal sealed record ErrorJson(string Error);

/// <summary>A control request's body: a JSON object with only the type's properties.</summary>
internal interface IControlBody
{
    /// <summary>The error for a property the body does not have; <paramref name="known"/> lists those it has.</summary>
    static abstract string UnknownProperty(string name, string known);
}

/// <summary>
/// <c>POST /_sandbox/faults</c>: a <see cref="SandboxFault"/>; <c>kind</c> is required, the rest default as in the fault.
/// </summary>
internal sealed class FaultBody : IControlBody
{
    /// <summary>The fault the properties set (not part of the JSON).</summary>
    internal SandboxFault Fault { get; } = new();

    public required FaultKind Kind { get => Fault.Kind; set => Fault.Kind = value; }

    public string? Endpoint { get => Fault.Endpoint; set => Fault.Endpoint = value; }

    public string? TradeNo { get => Fault.TradeNo; set => Fault.TradeNo = value; }

    public int? Count { get => Fault.Count; set => Fault.Count = value; }

    public double? Probability { get => Fault.Probability; set => Fault.Probability = value; }

    public TimeSpan Delay { get => Fault.Delay; set => Fault.Delay = value; }

    public int? StatusCode { get => Fault.StatusCode; set => Fault.StatusCode = value; }

    public static string UnknownProperty(string name, string known) => $"Unknown property '{name}'; a fault has {known}.";
}

/// <summary><c>POST /_sandbox/{payouts|payins}/{tradeNo}/state</c>: the final status to set by hand.</summary>
internal sealed class StateBody : IControlBody
{
    /// <summary>Checked by the endpoint, so a missing one gets the rule for a final status.</summary>
    public string? Status { get; set; }

    /// <summary>Null or empty for the status's usual text.</summary>
    public string? Message { get; set; }

    public bool Notify { get; set; } = true;

    public static string UnknownProperty(string name, string known) => $"Unknown property '{name}'; a state change has {known}.";
}

/// <summary><c>POST /_sandbox/{payouts|payins}/{tradeNo}/amount</c>: the amount Paypro has, changed by hand.</summary>
internal sealed class AmountBody : IControlBody
{
    /// <summary>Checked by the endpoint: whole shillings, at least 1.</summary>
    public long? Amount { get; set; }

    /// <summary>Whether to send a callback with the changed amount; off by default (a change Paypro makes quietly).</summary>
    public bool Notify { get; set; }

    public static string UnknownProperty(string name, string known) => $"Unknown property '{name}'; an amount change has {known}.";
}

/// <summary>
/// <c>PUT /_sandbox/settings</c>: the settings that may change at run time. Each property in the JSON
/// is one change, kept in order (a repeated one, the last wins) and applied to a copy that is checked first.
/// </summary>
internal sealed class SettingsBody : IControlBody
{
    private readonly List<Action<SandboxOptions>> _changes = [];

    public bool SignCallbacks { set => _changes.Add(o => o.SignCallbacks = value); }

    public string? DefaultNotifyUrl { set => _changes.Add(o => o.DefaultNotifyUrl = value); }

    public string? NotifyUrlOverride { set => _changes.Add(o => o.NotifyUrlOverride = value); }

    public double TimeScale { set => _changes.Add(o => o.TimeScale = value); }

    public TimeSpan SuccessDelay { set => _changes.Add(o => o.SuccessDelay = value); }

    public TimeSpan LongProcessingDelay { set => _changes.Add(o => o.LongProcessingDelay = value); }

    public TimeSpan CallbackTimeout { set => _changes.Add(o => o.CallbackTimeout = value); }

    /// <summary>Null is taken as empty, which the settings check refuses.</summary>
    public string? AppSecret { set => _changes.Add(o => o.AppSecret = value ?? ""); }

    public SaltPosition SaltPosition { set => _changes.Add(o => o.SaltPosition = value); }

    public static string UnknownProperty(string name, string known) =>
        $"Unknown or read-only setting '{name}'; changeable at run time: {known}.";

    public void ApplyTo(SandboxOptions options)
    {
        foreach (var change in _changes)
        {
            change(options);
        }
    }
}
