namespace Paypro.Sandbox;

/// <summary>What an injected fault does.</summary>
public enum FaultKind
{
    /// <summary>Adds <see cref="SandboxFault.Delay"/> before the request is handled; the request still runs.</summary>
    Latency,

    /// <summary>Answers HTTP <see cref="SandboxFault.StatusCode"/> (default 503) without executing anything.</summary>
    HttpError,

    /// <summary>Answers request-level code <c>5000</c> (system exception) without executing anything.</summary>
    SystemError,

    /// <summary>
    /// Answers request-level code <c>8000</c> (order error) without executing anything. On a status query that is
    /// Paypro's "no such tradeNo"; with <see cref="SandboxFault.Count"/> null it is a gateway refusing every query the
    /// same way, as a misconfiguration on either side would (a secret rotated out of step, another merchantNo).
    /// </summary>
    OrderError,

    /// <summary>Executes the request, then answers HTTP <see cref="SandboxFault.StatusCode"/> (default 502).</summary>
    ExecuteThenHttpError,

    /// <summary>Executes the request, then never answers: the response is held until the client gives up.</summary>
    ExecuteThenTimeout,

    /// <summary>Executes the request, then aborts the connection without an answer.</summary>
    ExecuteThenAbort,

    /// <summary>The callback is never sent.</summary>
    DropCallback,

    /// <summary>The callback is sent twice with the same body; each copy is retried on its own.</summary>
    DuplicateCallback,

    /// <summary>The callback's first attempt waits <see cref="SandboxFault.Delay"/> longer.</summary>
    DelayCallback,

    /// <summary>
    /// The next <see cref="SandboxFault.Count"/> matching callbacks are held and then sent in reverse
    /// order, each after the previous one's first attempt. Removing the fault sends what it holds.
    /// </summary>
    ReorderCallbacks,
}

/// <summary>
/// A fault to inject into requests to one Paypro path (or all) or into the callbacks of transactions
/// created there. Faults are count-based so tests stay deterministic: the next <see cref="Count"/>
/// matching requests or callbacks get it.
/// </summary>
public sealed class SandboxFault
{
    /// <summary>
    /// The Paypro path the fault applies to (<c>/api/payout</c>); null for every path. Callback faults
    /// match the path that created the transaction (<c>/api/payout</c>, <c>/api/payin</c>, <c>/api/payinConsole</c>).
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>Only requests or callbacks for this tradeNo; null for any.</summary>
    public string? TradeNo { get; set; }

    /// <summary>What the fault does.</summary>
    public FaultKind Kind { get; set; }

    /// <summary>
    /// How many matching requests or callbacks get the fault; null for all of them until it is removed.
    /// For <see cref="FaultKind.ReorderCallbacks"/>: how many callbacks are reversed (at least 2).
    /// </summary>
    public int? Count { get; set; } = 1;

    /// <summary>
    /// Chance (0 to 1) that a matching request or callback gets the fault; null for always. Draws come
    /// from a random source seeded with <see cref="SandboxOptions.FaultSeed"/>.
    /// </summary>
    public double? Probability { get; set; }

    /// <summary>For <see cref="FaultKind.Latency"/> and <see cref="FaultKind.DelayCallback"/>: how long; not scaled.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>
    /// For <see cref="FaultKind.HttpError"/> and <see cref="FaultKind.ExecuteThenHttpError"/>: the HTTP status (500-599).
    /// </summary>
    public int? StatusCode { get; set; }

    internal bool IsCallbackFault => Kind >= FaultKind.DropCallback;

    internal SandboxFault Clone() => new()
    {
        Endpoint = Endpoint,
        TradeNo = TradeNo,
        Kind = Kind,
        Count = Count,
        Probability = Probability,
        Delay = Delay,
        StatusCode = StatusCode,
    };

    /// <summary>The first thing wrong with this fault, or null; <paramref name="name"/> prefixes the message.</summary>
    internal string? Validate(string name)
    {
        if (!Enum.IsDefined(Kind))
        {
            return $"{name}.Kind is not a known fault kind.";
        }
        if (Endpoint is not null && (Endpoint.Length < 2 || Endpoint[0] != '/'))
        {
            return $"{name}.Endpoint must be a path such as /api/payout, or absent for every path.";
        }
        if (TradeNo is not null && !PayproValidation.TryValidateTradeNo(TradeNo, out _))
        {
            return $"{name}.TradeNo is not a valid tradeNo.";
        }
        if (Count is < 1)
        {
            return $"{name}.Count must be at least 1, or absent for every matching request.";
        }
        if (Probability is { } p && (double.IsNaN(p) || p <= 0 || p > 1))
        {
            return $"{name}.Probability must be above 0 and at most 1.";
        }
        if (Delay < TimeSpan.Zero)
        {
            return $"{name}.Delay must not be negative.";
        }
        if (Kind is FaultKind.Latency or FaultKind.DelayCallback && Delay <= TimeSpan.Zero)
        {
            return $"{name}.Delay must be positive for {Kind}.";
        }
        if (StatusCode is { } status
            && (status < 500 || status > 599 || Kind is not (FaultKind.HttpError or FaultKind.ExecuteThenHttpError)))
        {
            return $"{name}.StatusCode must be 500-599 and is only used by HttpError and ExecuteThenHttpError.";
        }
        if (Kind == FaultKind.ReorderCallbacks && (Count is null or < 2 || Probability is not null))
        {
            return $"{name}: ReorderCallbacks needs a Count of at least 2 (the callbacks to reverse) and no Probability.";
        }
        return null;
    }
}
