using Paypro.Functions.Hosting;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>Queue function <c>SubmitPayout</c> on <c>%PayoutsQueueName%</c>: performs a queued payout exactly once.</summary>
public sealed class SubmitPayoutFunction(TransactionSubmitter submitter) : IQueueFunction
{
    public const string Name = "SubmitPayout";

    public Task RunAsync(QueueTrigger trigger, CancellationToken cancellationToken) =>
        submitter.SubmitAsync(TransactionKind.Payout, trigger.QueueName, trigger.MessageText, trigger.MessageId, cancellationToken);
}
