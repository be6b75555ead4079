namespace Paypro.Functions.Hosting;

/// <summary>One occurrence of a timer function's schedule.</summary>
/// <param name="FunctionName">The function being invoked (its function.json folder name).</param>
/// <param name="IsPastDue">Whether this run starts later than its scheduled time (the app was down, busy or asleep).</param>
/// <param name="LastRun">The previous occurrence that ran, when known.</param>
/// <param name="NextRun">The next scheduled occurrence, when known.</param>
public sealed record TimerTrigger(
    string FunctionName,
    bool IsPastDue,
    DateTimeOffset? LastRun,
    DateTimeOffset? NextRun);
