using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Functions;

/// <summary>
/// Releases a held payout, <c>{"reason":"..."}</c>: it is sent at once, exactly once, and counts against the day limits
/// from now on, past a limit too. It moves money, so it takes the master key (level Admin). Refused while payouts are paused.
/// </summary>
public sealed class ReleasePayout(HeldPayouts held)
{
    [Function(nameof(ReleasePayout))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "payouts/{tradeNo}/release")] HttpRequest request,
        string tradeNo) =>
        HoldRequests.HandleAsync(request, tradeNo, held.ReleaseAsync);
}
