using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Configuration;
using Paypro.Functions.Operations;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>
/// Follows up the payouts and payins that are due, sends whatever events a crash left behind, and refreshes the
/// pending and poison gauges; cancels the payouts held longer than Controls:HoldExpiry and refreshes the held and day gauges.
/// </summary>
public sealed class PollPendingTransactions(TransactionPoller poller, PendingGauges gauges, HeldPayouts held)
{
    [Function(nameof(PollPendingTransactions))]
    public async Task Run([TimerTrigger(TimerSchedules.PollExpression)] TimerInfo timer, CancellationToken cancellationToken)
    {
        await poller.PollAsync(timer.IsPastDue, cancellationToken);
        await gauges.RefreshAsync(cancellationToken);
        await held.MaintainAsync(cancellationToken);
    }
}
