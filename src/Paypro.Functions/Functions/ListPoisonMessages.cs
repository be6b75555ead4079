using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Functions;

/// <summary>The messages in the payouts' or payins' poison queue, with the reason recorded. Mobiles are masked.</summary>
public sealed class ListPoisonMessages(PoisonQueues poison)
{
    [Function(nameof(ListPoisonMessages))]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "poison/{queue}")] HttpRequest request,
        string queue) =>
        poison.QueueOf(queue) is { } name
            ? TypedResults.Ok(await poison.ListAsync(name, request.HttpContext.RequestAborted))
            : TypedResults.Problem(
                title: "Unknown queue",
                detail: $"The poison queues are those of payouts and payins; got '{queue}'.",
                statusCode: StatusCodes.Status404NotFound);
}
