using System.Diagnostics.Metrics;

namespace Paypro.Functions.Transactions;

/// <summary>The app's metrics (meter <c>Paypro.Functions</c>), for OpenTelemetry or any MeterListener.</summary>
public static class FunctionsMetrics
{
    public const string MeterName = "Paypro.Functions";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Transitions = Meter.CreateCounter<long>("paypro.transactions.transitions", description: "State changes written, by new state");
    public static readonly Counter<long> Anomalies = Meter.CreateCounter<long>("paypro.transactions.anomalies", description: "Contradicting results kept, not applied");
    public static readonly Counter<long> Stuck = Meter.CreateCounter<long>("paypro.transactions.stuck", description: "Transactions flagged as pending for too long");
    public static readonly Counter<long> Callbacks = Meter.CreateCounter<long>("paypro.notify.callbacks", description: "Notify callbacks received, by verdict");
    public static readonly Counter<long> EntitiesRead = Meter.CreateCounter<long>("paypro.storage.entities_read", description: "Table entities read");
    public static readonly Counter<long> EventsSent = Meter.CreateCounter<long>("paypro.events.sent", description: "Events sent to the events queue");
}
