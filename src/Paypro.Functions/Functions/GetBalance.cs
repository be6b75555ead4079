using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;

namespace Paypro.Functions.Functions;

/// <summary>The merchant's balance at Paypro.</summary>
public sealed class GetBalance(PayproClient paypro)
{
    [Function(nameof(GetBalance))]
    public async Task<IResult> Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "balance")] HttpRequest request) =>
        await OperatorQueries.GetBalanceAsync(paypro, request.HttpContext.RequestAborted);
}
