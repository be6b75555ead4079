using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Functions;

/// <summary>The held payouts, oldest first, with their number, total amount and when each expires. Level Admin (the master key).</summary>
public sealed class ListHeldPayouts(HeldPayouts held)
{
    [Function(nameof(ListHeldPayouts))]
    public async Task<IResult> Run([HttpTrigger(AuthorizationLevel.Admin, "get", Route = "transactions/held")] HttpRequest request) =>
        TypedResults.Ok(await held.ListAsync(request.HttpContext.RequestAborted));
}
