using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Paypro;

/// <summary>
/// The client's traces (activity source <c>Paypro</c>: one client span per call, named after the endpoint) and
/// metrics (meter <c>Paypro</c>). Spans and metrics carry the endpoint, the outcome class, Paypro's code and status,
/// never the sign, the secret, the body or a mobile number.
/// </summary>
public static class PayproTelemetry
{
    public const string SourceName = "Paypro";

    /// <summary>Call latency in seconds, by <c>paypro.endpoint</c> and <c>paypro.outcome</c>.</summary>
    public const string CallDurationName = "paypro.client.duration";

    public static readonly ActivitySource Source = new(SourceName);

    private static readonly Meter Meter = new(SourceName);

    private static readonly Histogram<double> CallDuration = Meter.CreateHistogram<double>(
        CallDurationName,
        unit: "s",
        description: "Paypro call latency, by endpoint and outcome class");

    internal static Activity? Start(string endpoint, string? tradeNo)
    {
        var activity = Source.StartActivity("paypro " + endpoint, ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("paypro.endpoint", endpoint);
            if (tradeNo is not null)
            {
                activity.SetTag("paypro.trade_no", tradeNo);
            }
        }
        return activity;
    }

    /// <summary>Ends a call's span when the call threw instead of answering (the caller's cancellation, a missing secret).</summary>
    internal static void Fail(Activity? activity, Exception exception)
    {
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        activity?.Dispose();
    }

    internal static void End(
        Activity? activity,
        string endpoint,
        TimeSpan elapsed,
        string outcome,
        string? code,
        string? status,
        bool unknownOutcome)
    {
        CallDuration.Record(
            elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("paypro.endpoint", endpoint),
            new KeyValuePair<string, object?>("paypro.outcome", outcome));
        if (activity is null)
        {
            return;
        }
        activity.SetTag("paypro.outcome", outcome);
        if (code is not null)
        {
            activity.SetTag("paypro.code", code);
        }
        if (status is not null)
        {
            activity.SetTag("paypro.status", status);
        }
        if (unknownOutcome)
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome);
        }
        activity.Dispose();
    }
}
