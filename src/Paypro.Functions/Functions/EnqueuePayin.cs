using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>
/// Takes a payin request over HTTP (the queue's message contract) and puts it on the payins queue. Off unless
/// Submit:HttpEnabled.
/// </summary>
public sealed class EnqueuePayin(HttpIntake intake)
{
    [Function(nameof(EnqueuePayin))]
    public Task<IResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = "payins")] HttpRequest request) =>
        intake.SubmitAsync(TransactionKind.Payin, request.HttpContext);
}
