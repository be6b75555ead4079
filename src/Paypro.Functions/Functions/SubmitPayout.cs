using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Configuration;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>Performs a queued payout exactly once.</summary>
public sealed class SubmitPayout(TransactionSubmitter submitter, QueueNames queues)
{
    [Function(nameof(SubmitPayout))]
    public Task Run([QueueTrigger(QueueNames.PayoutsExpression)] QueueMessage message, CancellationToken cancellationToken) =>
        submitter.SubmitAsync(TransactionKind.Payout, queues.Payouts, message, cancellationToken);
}
