using Paypro.Functions.Hosting;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>Queue function <c>SubmitPayin</c> on <c>%PayinsQueueName%</c>: pushes a payment prompt to the payer's phone, exactly once.</summary>
public sealed class SubmitPayinFunction(TransactionSubmitter submitter) : IQueueFunction
{
    public const string Name = "SubmitPayin";

    public Task RunAsync(QueueTrigger trigger, CancellationToken cancellationToken) =>
        submitter.SubmitAsync(TransactionKind.Payin, trigger.QueueName, trigger.MessageText, trigger.MessageId, cancellationToken);
}
