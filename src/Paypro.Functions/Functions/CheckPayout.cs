using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>Queries Paypro for one payout now and applies the answer.</summary>
public sealed class CheckPayout(ITransactionStore store, TransactionChecker checker)
{
    [Function(nameof(CheckPayout))]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "payouts/{tradeNo}/check")] HttpRequest request,
        string tradeNo) =>
        await OperatorQueries.CheckAsync(TransactionKind.Payout, tradeNo, store, checker, request.HttpContext.RequestAborted);
}
