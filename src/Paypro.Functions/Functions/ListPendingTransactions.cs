using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Functions;

/// <summary>The open transactions, oldest first, with each one's age and stuck flag.</summary>
public sealed class ListPendingTransactions(TransactionLists lists)
{
    [Function(nameof(ListPendingTransactions))]
    public async Task<IResult> Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "transactions/pending")] HttpRequest request) =>
        TypedResults.Ok(await lists.PendingAsync(request.HttpContext.RequestAborted));
}
