using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>Queries Paypro for one payin now and applies the answer.</summary>
public sealed class CheckPayin(ITransactionStore store, TransactionChecker checker)
{
    [Function(nameof(CheckPayin))]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "payins/{tradeNo}/check")] HttpRequest request,
        string tradeNo) =>
        await OperatorQueries.CheckAsync(TransactionKind.Payin, tradeNo, store, checker, request.HttpContext.RequestAborted);
}
