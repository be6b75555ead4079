using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Functions;

/// <summary>
/// Re-submits poison messages once their cause is fixed: <c>{"messageIds":["..."]}</c> or <c>{"all":true}</c>, with
/// <c>"removeKnown":true</c> to take messages of already recorded tradeNos out. It can move money, so it takes the
/// master key (level Admin).
/// </summary>
public sealed class RedrivePoisonMessages(PoisonQueues poison)
{
    private const int MaxBodyBytes = 64 * 1024;

    [Function(nameof(RedrivePoisonMessages))]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "poison/{queue}/redrive")] HttpRequest request,
        string queue)
    {
        if (poison.QueueOf(queue) is not { } name)
        {
            return TypedResults.Problem(
                title: "Unknown queue",
                detail: $"The poison queues are those of payouts and payins; got '{queue}'.",
                statusCode: StatusCodes.Status404NotFound);
        }
        var body = await BoundedBody.ReadAsync(request, MaxBodyBytes, request.HttpContext.RequestAborted);
        if (body is null)
        {
            return TypedResults.Problem(
                title: "Request too large",
                detail: $"The body is larger than {MaxBodyBytes} bytes.",
                statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        RedriveRequest? redrive;
        try
        {
            redrive = JsonSerializer.Deserialize(body, FunctionsJsonContext.Default.RedriveRequest);
        }
        catch (JsonException ex)
        {
            return TypedResults.Problem(
                title: "Invalid request",
                detail: $"The body is not a redrive request: {ex.Message}",
                statusCode: StatusCodes.Status400BadRequest);
        }
        if (redrive is null || (redrive.All == (redrive.MessageIds is { Count: > 0 })))
        {
            return TypedResults.Problem(
                title: "Invalid request",
                detail: "Give either \"messageIds\": [...] or \"all\": true.",
                statusCode: StatusCodes.Status400BadRequest);
        }
        return TypedResults.Ok(await poison.RedriveAsync(name, redrive, request.HttpContext.RequestAborted));
    }
}
