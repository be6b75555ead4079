using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Configuration;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>Pushes a queued payment prompt to the payer's phone, exactly once.</summary>
public sealed class SubmitPayin(TransactionSubmitter submitter, QueueNames queues)
{
    [Function(nameof(SubmitPayin))]
    public Task Run([QueueTrigger(QueueNames.PayinsExpression)] QueueMessage message, CancellationToken cancellationToken) =>
        submitter.SubmitAsync(TransactionKind.Payin, queues.Payins, message, cancellationToken);
}
