using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Configuration;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>Follows up the payouts and payins that are due, and sends whatever events a crash left behind.</summary>
public sealed class PollPendingTransactions(TransactionPoller poller)
{
    [Function(nameof(PollPendingTransactions))]
    public Task Run([TimerTrigger(QueueNames.PollScheduleExpression)] TimerInfo timer, CancellationToken cancellationToken) =>
        poller.PollAsync(timer.IsPastDue, cancellationToken);
}
