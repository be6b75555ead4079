using System.Text.Json;
using Paypro.Functions.Operations;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Http;

/// <summary>
/// What the operator's hold functions answer: <c>ReleasePayout</c> and <c>CancelPayout</c> (body <c>{"reason":"..."}</c>,
/// required), and <c>ListHeldPayouts</c>. All three take the master key (level Admin).
/// </summary>
internal static class HoldRequests
{
    public const int MaxBodyBytes = 4 * 1024;
    public const int MaxReasonLength = 500;

    public delegate Task<(HoldOutcome Outcome, TransactionRecord? Record)> HoldAction(
        string tradeNo,
        string reason,
        string caller,
        CancellationToken cancellationToken);

    /// <summary>Reads and checks the request, runs <paramref name="action"/> (a release or a cancel), and answers what it did.</summary>
    public static async Task<IResult> HandleAsync(HttpRequest request, string tradeNo, HoldAction action)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(action);
        var cancellationToken = request.HttpContext.RequestAborted;
        if (!PayproValidation.TryValidateTradeNo(tradeNo, out var tradeNoError))
        {
            return Problem("Invalid tradeNo", tradeNoError!, StatusCodes.Status400BadRequest);
        }
        var body = await BoundedBody.ReadAsync(request, MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return Problem("Request too large", $"The body is larger than {MaxBodyBytes} bytes.", StatusCodes.Status413PayloadTooLarge);
        }
        HoldRequest? hold;
        try
        {
            hold = JsonSerializer.Deserialize(body, FunctionsJsonContext.Default.HoldRequest);
        }
        catch (JsonException ex)
        {
            return Problem("Invalid request", $"The body must be {{\"reason\": \"...\"}}: {ex.Message}", StatusCodes.Status400BadRequest);
        }
        var reason = hold?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > MaxReasonLength || reason.Any(char.IsControl))
        {
            return Problem(
                "Invalid request",
                $"Give \"reason\": why, in words, 1 to {MaxReasonLength} characters on one line; it is kept in the payout's audit trail.",
                StatusCodes.Status400BadRequest);
        }
        var caller = Caller.AddressOf(request.HttpContext)?.ToString() ?? "unknown";
        var (outcome, record) = await action(tradeNo, reason, caller, cancellationToken);
        return outcome switch
        {
            HoldOutcome.NotFound => Problem("Not found", $"No payout has tradeNo {tradeNo}.", StatusCodes.Status404NotFound),
            HoldOutcome.Paused => Problem(
                "Payouts are paused",
                $"{Configuration.FunctionSwitch.SettingOf(HeldPayouts.SubmitPayoutFunction)} is set, so a release would send a payout "
                + "while payouts are paused. "
                + "Turn payouts back on first (docs/operations.md, \"Pausing payouts or payins\"), then release it.",
                StatusCodes.Status409Conflict),
            HoldOutcome.NotHeld => Problem(
                "Not held",
                $"Payout {tradeNo} is {record!.State.ToWire()}: only a held payout can be released or cancelled.",
                StatusCodes.Status409Conflict),
            _ => TypedResults.Ok(new HoldDecisionView(Wire(outcome), TransactionView.From(record!, null))),
        };
    }

    private static string Wire(HoldOutcome outcome) => outcome switch
    {
        HoldOutcome.Released => "released",
        HoldOutcome.AlreadyReleased => "already-released",
        HoldOutcome.Cancelled => "cancelled",
        _ => "already-cancelled",
    };

    private static IResult Problem(string title, string detail, int status) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: status);
}

/// <summary>
/// A release or a cancel: what happened (<c>released</c>, <c>already-released</c>, <c>cancelled</c>, <c>already-cancelled</c>)
/// and the payout as stored afterwards.
/// </summary>
internal sealed record HoldDecisionView(string Outcome, TransactionView Transaction);

/// <summary>The body of a release or a cancel: why, in the operator's words (kept in the audit trail).</summary>
internal sealed record HoldRequest(string? Reason);
