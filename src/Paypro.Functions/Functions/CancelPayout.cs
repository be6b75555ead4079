using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Functions;

/// <summary>
/// Cancels a held payout, <c>{"reason":"..."}</c>: it becomes rejected with that reason, and nothing goes to Paypro.
/// Level Admin (the master key).
/// </summary>
public sealed class CancelPayout(HeldPayouts held)
{
    [Function(nameof(CancelPayout))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "payouts/{tradeNo}/cancel")] HttpRequest request,
        string tradeNo) =>
        HoldRequests.HandleAsync(request, tradeNo, held.CancelAsync);
}
