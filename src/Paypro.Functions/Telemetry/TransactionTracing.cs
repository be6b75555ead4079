using System.Diagnostics;

namespace Paypro.Functions.Telemetry;

/// <summary>
/// The app's spans (activity source <c>Paypro.Functions</c>). A transaction is one trace: its producer's
/// <c>traceparent</c> (or, without one, the invocation that first recorded it) is the parent of the submit span,
/// whose context is stored on the record; every later piece of work on the transaction (a callback, a check) is a
/// span of that trace, linked to the invocation that ran it, and every event carries the record's context.
/// Spans carry tradeNo, kind, state and Paypro's codes; never a mobile number, a sign, a secret or a key.
/// </summary>
internal static class TransactionTracing
{
    public const string SourceName = "Paypro.Functions";

    public const string Submit = "paypro.transaction.submit";
    public const string Callback = "paypro.transaction.callback";
    public const string Check = "paypro.transaction.check";
    public const string Write = "paypro.transaction.write";
    public const string EventSend = "paypro.event.send";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Whether <paramref name="traceParent"/> is a W3C trace context (<c>00-&lt;32 hex&gt;-&lt;16 hex&gt;-&lt;2 hex&gt;</c>).
    /// </summary>
    public static bool IsTraceParent(string? traceParent) =>
        traceParent is not null
            && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context)
            && context.TraceId != default;

    /// <summary>
    /// Starts a span of work on a transaction, in the transaction's trace when <paramref name="traceParent"/> names
    /// one (linked to the current invocation), otherwise as a child of the current invocation.
    /// </summary>
    public static Activity? StartWork(string name, string? traceParent, string tradeNo, string kind)
    {
        Activity? activity;
        if (traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent))
        {
            var links = Activity.Current is { } invocation ? new[] { new ActivityLink(invocation.Context) } : null;
            activity = Source.StartActivity(name, ActivityKind.Internal, parent, links: links);
        }
        else
        {
            activity = Source.StartActivity(name, ActivityKind.Internal);
        }
        activity?.SetTag("paypro.trade_no", tradeNo);
        activity?.SetTag("paypro.kind", kind);
        return activity;
    }

    /// <summary>The context to store on a new record: the submit span's, or the producer's when nothing listens.</summary>
    public static string? ContextToStore(Activity? activity, string? traceParent) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : traceParent;

    /// <summary>
    /// Marks a span with the outcome of the work: the transaction's <paramref name="state"/> (wire name) and the verdict.
    /// </summary>
    public static void Outcome(Activity? activity, string state, string verdict)
    {
        activity?.SetTag("paypro.state", state);
        activity?.SetTag("paypro.verdict", verdict);
    }
}
