using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Functions;

/// <summary>The transactions created in a time range, as JSON pages or, with <c>Accept: text/csv</c>, as CSV.</summary>
public sealed class ListTransactions(TransactionLists lists)
{
    [Function(nameof(ListTransactions))]
    public async Task<IResult> Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "transactions")] HttpRequest request)
    {
        if (!TransactionListQuery.TryParse(request.Query, out var query, out var error))
        {
            return TypedResults.Problem(title: "Invalid listing", detail: error, statusCode: StatusCodes.Status400BadRequest);
        }
        if (request.GetTypedHeaders().Accept.Any(accept => accept.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)))
        {
            return TypedResults.Stream(
                stream => lists.WriteCsvAsync(query!, stream, request.HttpContext.RequestAborted),
                "text/csv; charset=utf-8",
                $"transactions-{query!.From.UtcDateTime:yyyyMMddTHHmmssZ}-{query.To.UtcDateTime:yyyyMMddTHHmmssZ}.csv");
        }
        return TypedResults.Ok(await lists.ListAsync(query!, request.HttpContext.RequestAborted));
    }
}
