using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>Looks a transaction up at Paypro by its M-Pesa receipt code.</summary>
public sealed class MpesaLookup(PayproClient paypro, ITransactionStore store)
{
    [Function(nameof(MpesaLookup))]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "mpesa/{code}")] HttpRequest request,
        string code) =>
        await OperatorQueries.MpesaLookupAsync(code, paypro, store, request.HttpContext.RequestAborted);
}
