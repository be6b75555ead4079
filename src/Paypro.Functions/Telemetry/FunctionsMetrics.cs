using System.Diagnostics.Metrics;

namespace Paypro.Functions.Telemetry;

/// <summary>
/// The app's metrics (meter <c>Paypro.Functions</c>), for OpenTelemetry or any MeterListener. Their names are the
/// ones the dashboard queries; a test checks that every name it uses is here.
/// </summary>
internal static class FunctionsMetrics
{
    public const string MeterName = "Paypro.Functions";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Transitions = Meter.CreateCounter<long>("paypro.transactions.transitions",
        description: "State changes written, by kind and new state");
    public static readonly Counter<long> Anomalies = Meter.CreateCounter<long>("paypro.transactions.anomalies",
        description: "Contradicting results kept, not applied, by kind");
    public static readonly Counter<long> Stuck = Meter.CreateCounter<long>("paypro.transactions.stuck",
        description: "Transactions flagged as pending for too long, by kind");
    public static readonly Counter<long> Callbacks = Meter.CreateCounter<long>("paypro.notify.callbacks",
        description: "Notify callbacks received, by verdict");
    public static readonly Counter<long> MessagesRejected = Meter.CreateCounter<long>("paypro.messages.rejected",
        description: "Queue messages recorded as rejected (invalid, nothing sent), by kind");
    public static readonly Counter<long> MessagesPoisoned = Meter.CreateCounter<long>("paypro.messages.poisoned",
        description: "Queue messages the app moved to the poison queue at once, by queue");
    public static readonly Counter<long> EntitiesRead = Meter.CreateCounter<long>("paypro.storage.entities_read",
        description: "Table entities read");
    public static readonly Counter<long> ReconciliationDisagreements = Meter.CreateCounter<long>("paypro.reconciliation.disagreements",
        description: "Disagreements with Paypro that reconciliation recorded (each once),"
            + " by kind of transaction, disagreement and severity");
    public static readonly Counter<long> Reconciled = Meter.CreateCounter<long>("paypro.reconciliation.checked",
        description: "Transactions reconciliation looked at, by outcome (agreed, disagreed, pending, unchecked, rejected)");
    public static readonly Counter<long> EventsSent = Meter.CreateCounter<long>("paypro.events.sent",
        description: "Events sent to the events queue");
    public static readonly Counter<long> Held = Meter.CreateCounter<long>("paypro.payouts.held",
        description: "Payouts held instead of sent, by the control that held them"
            + " (approval, daily-amount, daily-count, mobile-amount, mobile-count)");
    public static readonly Counter<long> HoldsEnded = Meter.CreateCounter<long>("paypro.payouts.holds_ended",
        description: "Held payouts released, cancelled or expired, by outcome");

    public static readonly Histogram<double> TimeToFinal = Meter.CreateHistogram<double>("paypro.transactions.time_to_final", unit: "s",
        description: "Time from the producer's enqueue to the final state, by kind and final state");
    public static readonly Histogram<double> EventLag = Meter.CreateHistogram<double>("paypro.events.lag", unit: "s",
        description: "Time from a state change to its event on the events queue");

    /// <summary>Pending transactions, from the due index (refreshed by each poll; at most the poll's pending read).</summary>
    public static readonly ObservableGauge<long> Pending = Meter.CreateObservableGauge(
        "paypro.transactions.pending",
        () => PendingSnapshot.Pending,
        description: "Pending transactions, from the due index, as of the last poll");
    public static readonly ObservableGauge<double> OldestPendingAge = Meter.CreateObservableGauge(
        "paypro.transactions.oldest_pending_age",
        () => PendingSnapshot.OldestAgeSeconds,
        unit: "s",
        description: "Age of the oldest pending transaction, as of the last poll");
    public static readonly ObservableGauge<long> PoisonDepth = Meter.CreateObservableGauge(
        "paypro.queues.poison_depth",
        PendingSnapshot.PoisonMeasurements,
        description: "Messages in the payouts' and payins' poison queues, as of the last poll, by queue");
    public static readonly ObservableGauge<long> HeldCount = Meter.CreateObservableGauge(
        "paypro.payouts.held_count",
        () => ControlsSnapshot.HeldCount,
        description: "Payouts held now, as of the last poll");
    public static readonly ObservableGauge<long> HeldAmount = Meter.CreateObservableGauge(
        "paypro.payouts.held_amount",
        () => ControlsSnapshot.HeldAmount,
        unit: "KES",
        description: "Amount of the payouts held now, as of the last poll");
    public static readonly ObservableGauge<long> DayCleared = Meter.CreateObservableGauge(
        "paypro.payouts.day_cleared",
        ControlsSnapshot.DayClearedMeasurements,
        description: "Payouts cleared to be sent this Kenya day, as counted for the day limits (measure: amount in KES, or count),"
            + " as of the last poll");
    public static readonly ObservableGauge<long> DayLimit = Meter.CreateObservableGauge(
        "paypro.payouts.day_limit",
        ControlsSnapshot.DayLimitMeasurements,
        description: "The day limits set (measure: amount in KES, or count)");

    /// <summary>Every instrument's name, for the dashboard cross-check.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        Transitions.Name, Anomalies.Name, Stuck.Name, ReconciliationDisagreements.Name, Reconciled.Name,
        Callbacks.Name, MessagesRejected.Name, MessagesPoisoned.Name, EntitiesRead.Name, EventsSent.Name,
        TimeToFinal.Name, EventLag.Name, Pending.Name, OldestPendingAge.Name, PoisonDepth.Name,
        Held.Name, HoldsEnded.Name, HeldCount.Name, HeldAmount.Name, DayCleared.Name, DayLimit.Name,
    ];
}

/// <summary>What the last poll saw of the due index and the poison queues; the gauges read it without any I/O.</summary>
internal static class PendingSnapshot
{
    private static long _pending;
    private static double _oldestAgeSeconds;
    private static IReadOnlyList<Measurement<long>> _poison = [];

    public static long Pending => Interlocked.Read(ref _pending);

    public static double OldestAgeSeconds => Volatile.Read(ref _oldestAgeSeconds);

    public static IEnumerable<Measurement<long>> PoisonMeasurements() => Volatile.Read(ref _poison);

    public static void Set(long pending, double oldestAgeSeconds, IReadOnlyList<(string Queue, long Depth)> poison)
    {
        Interlocked.Exchange(ref _pending, pending);
        Volatile.Write(ref _oldestAgeSeconds, oldestAgeSeconds);
        Volatile.Write(
            ref _poison,
            poison.Select(p => new Measurement<long>(p.Depth, new KeyValuePair<string, object?>("queue", p.Queue))).ToList());
    }
}

/// <summary>What the last poll saw of the held payouts and of this Kenya day's counts; the gauges read it without any I/O.</summary>
internal static class ControlsSnapshot
{
    private static long _heldCount;
    private static long _heldAmount;
    private static IReadOnlyList<Measurement<long>> _dayCleared = [];
    private static IReadOnlyList<Measurement<long>> _dayLimits = [];

    public static long HeldCount => Interlocked.Read(ref _heldCount);

    public static long HeldAmount => Interlocked.Read(ref _heldAmount);

    public static IEnumerable<Measurement<long>> DayClearedMeasurements() => Volatile.Read(ref _dayCleared);

    public static IEnumerable<Measurement<long>> DayLimitMeasurements() => Volatile.Read(ref _dayLimits);

    public static void SetHeld(long count, long amount)
    {
        Interlocked.Exchange(ref _heldCount, count);
        Interlocked.Exchange(ref _heldAmount, amount);
    }

    /// <summary>This Kenya day's cleared amount and count (null when the day is not counted) and the limits set.</summary>
    public static void SetDay(long? amount, long? count, long? amountLimit, long? countLimit)
    {
        Volatile.Write(ref _dayCleared, Measures(amount, count));
        Volatile.Write(ref _dayLimits, Measures(amountLimit, countLimit));
    }

    private static List<Measurement<long>> Measures(long? amount, long? count)
    {
        var measures = new List<Measurement<long>>(2);
        if (amount is { } a)
        {
            measures.Add(new Measurement<long>(a, new KeyValuePair<string, object?>("measure", "amount")));
        }
        if (count is { } c)
        {
            measures.Add(new Measurement<long>(c, new KeyValuePair<string, object?>("measure", "count")));
        }
        return measures;
    }
}
