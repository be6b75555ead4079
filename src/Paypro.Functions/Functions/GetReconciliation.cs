using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Functions;

/// <summary>
/// Where the reconciliation of a Kenya day with Paypro stands, as JSON or, with <c>Accept: text/csv</c>, every
/// transaction's outcome as CSV.
/// </summary>
public sealed class GetReconciliation(ReconciliationReports reports)
{
    [Function(nameof(GetReconciliation))]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "reconciliation/{date}")] HttpRequest request,
        string date)
    {
        if (!reports.TryParseDay(date, out var day, out var error))
        {
            return TypedResults.Problem(title: "Invalid date", detail: error, statusCode: StatusCodes.Status400BadRequest);
        }
        var report = await reports.GetAsync(day, request.HttpContext.RequestAborted);
        if (report is null)
        {
            return TypedResults.Problem(title: "Not reconciled yet",
                detail: $"No reconciliation run has reached {date}: ReconcileTransactions checks the days Reconcile:Days names,"
                    + " during the night window of ReconcileSchedule.",
                statusCode: StatusCodes.Status404NotFound);
        }
        if (request.GetTypedHeaders().Accept.Any(accept => accept.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)))
        {
            return TypedResults.Stream(
                stream => reports.WriteCsvAsync(day, report.Pass, stream, request.HttpContext.RequestAborted),
                "text/csv; charset=utf-8",
                $"reconciliation-{report.Date}.csv");
        }
        return TypedResults.Ok(report);
    }
}
