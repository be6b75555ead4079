using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>
/// Takes a payout request over HTTP (the queue's message contract) and puts it on the payouts queue. Off unless
/// Submit:HttpEnabled.
/// </summary>
public sealed class EnqueuePayout(HttpIntake intake)
{
    [Function(nameof(EnqueuePayout))]
    public Task<IResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = "payouts")] HttpRequest request) =>
        intake.SubmitAsync(TransactionKind.Payout, request.HttpContext);
}
