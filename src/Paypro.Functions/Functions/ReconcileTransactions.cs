using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Configuration;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Functions;

/// <summary>
/// Reconciles each Kenya day with Paypro once it is over: every final result is asked about again and compared, and every
/// disagreement is kept as an anomaly and announced. Each run goes on where the last one stopped.
/// </summary>
public sealed class ReconcileTransactions(Reconciliation reconciliation)
{
    [Function(nameof(ReconcileTransactions))]
    public Task Run([TimerTrigger(TimerSchedules.ReconcileExpression)] TimerInfo timer, CancellationToken cancellationToken) =>
        reconciliation.RunAsync(cancellationToken);
}
