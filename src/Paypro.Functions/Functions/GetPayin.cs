using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>A payin with its history, mobile masked.</summary>
public sealed class GetPayin(ITransactionStore store)
{
    [Function(nameof(GetPayin))]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "payins/{tradeNo}")] HttpRequest request,
        string tradeNo) =>
        await OperatorQueries.GetTransactionAsync(
            TransactionKind.Payin,
            tradeNo,
            request.Query[OperatorQueries.HistoryAfterParameter],
            store,
            request.HttpContext.RequestAborted);
}
