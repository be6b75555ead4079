using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>A payout with its history, mobile masked.</summary>
public sealed class GetPayout(ITransactionStore store)
{
    [Function(nameof(GetPayout))]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "payouts/{tradeNo}")] HttpRequest request,
        string tradeNo) =>
        await OperatorQueries.GetTransactionAsync(
            TransactionKind.Payout,
            tradeNo,
            request.Query[OperatorQueries.HistoryAfterParameter],
            store,
            request.HttpContext.RequestAborted);
}
