using Microsoft.AspNetCore.Http.HttpResults;
using Paypro.Functions.Operations;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Http;

/// <summary>
/// What the operator's HTTP functions answer: <c>GetPayout</c>, <c>GetPayin</c>, <c>CheckPayout</c>,
/// <c>CheckPayin</c>, <c>MpesaLookup</c> and <c>GetBalance</c>.
/// </summary>
internal static class OperatorQueries
{
    /// <summary>
    /// History entries in one answer: a view reads at most 2 × (this + 1) history rows and the record, however long the history.
    /// </summary>
    public const int HistoryPageSize = 100;

    /// <summary>
    /// The query parameter that asks for the history page after the one an earlier answer ended with (its <c>historyNext</c>).
    /// </summary>
    public const string HistoryAfterParameter = "historyAfter";

    public static async Task<Results<Ok<TransactionView>, ProblemHttpResult>> GetTransactionAsync(
        TransactionKind kind, string tradeNo, string? historyAfter, ITransactionStore store, CancellationToken cancellationToken)
    {
        HistoryCursor? after = null;
        if (historyAfter is not null && !HistoryCursor.TryParse(historyAfter, out after))
        {
            return Problem("Invalid historyAfter", $"{HistoryAfterParameter} must be the historyNext of an earlier answer.", 400);
        }
        var (record, problem) = await FindAsync(kind, tradeNo, store, cancellationToken);
        if (record is null)
        {
            return problem!;
        }
        var page = await store.GetHistoryPageAsync(tradeNo, after, HistoryPageSize, cancellationToken);
        return TypedResults.Ok(TransactionView.From(record, page.Entries) with { HistoryNext = page.Next?.ToToken() });
    }

    public static async Task<Results<Ok<TransactionView>, ProblemHttpResult>> CheckAsync(
        TransactionKind kind, string tradeNo, ITransactionStore store, TransactionChecker checker, CancellationToken cancellationToken)
    {
        var (record, problem) = await FindAsync(kind, tradeNo, store, cancellationToken);
        if (record is null)
        {
            return problem!;
        }
        return TypedResults.Ok(TransactionView.From(await checker.CheckAsync(record, cancellationToken), null));
    }

    /// <summary>The transaction of that kind, or the problem to answer: 400 for a malformed tradeNo, 404 when there is none.</summary>
    private static async Task<(TransactionRecord? Record, ProblemHttpResult? Problem)> FindAsync(
        TransactionKind kind, string tradeNo, ITransactionStore store, CancellationToken cancellationToken)
    {
        if (!PayproValidation.TryValidateTradeNo(tradeNo, out var error))
        {
            return (null, Problem("Invalid tradeNo", error!, 400));
        }
        var record = await store.GetAsync(tradeNo, cancellationToken);
        return record is null || record.Kind != kind
            ? (null, Problem("Not found", $"No {kind.ToWire()} has tradeNo {tradeNo}.", 404))
            : (record, null);
    }

    public static async Task<Results<Ok<MpesaLookupView>, ProblemHttpResult>> MpesaLookupAsync(
        string code, PayproClient paypro, ITransactionStore store, CancellationToken cancellationToken)
    {
        if (!PayproValidation.TryValidateMpesaCode(code, out var error))
        {
            return Problem("Invalid M-Pesa code", error!, 400);
        }
        var result = await paypro.QueryByMpesaCodeAsync(code, cancellationToken);
        switch (result.Outcome)
        {
            case PayproQueryOutcome.Found when result.Transaction is { } transaction:
                string? recordedState = null;
                if (transaction.TradeNo is { } tradeNo && PayproValidation.TryValidateTradeNo(tradeNo, out _))
                {
                    recordedState = (await store.GetAsync(tradeNo, cancellationToken))?.State.ToWire();
                }
                var state = TransactionRules.StateFor(transaction.Kind);
                return TypedResults.Ok(new MpesaLookupView(
                    code,
                    state.ToWire(),
                    transaction.Status,
                    transaction.Message,
                    transaction.TradeNo,
                    transaction.PlatFormTradeNo,
                    transaction.AmountText,
                    transaction.MpesaReceiptNumber,
                    transaction.SuccessTimeUtc,
                    recordedState));
            case PayproQueryOutcome.NotFound:
                return Problem("Not found", $"Paypro knows no transaction with M-Pesa code {code}.", 404);
            default:
                return TypedResults.Problem(
                    title: "Paypro unavailable",
                    detail: $"Paypro did not answer the lookup ({result.Detail ?? result.Code ?? "no answer"}).",
                    statusCode: 502);
        }
    }

    public static async Task<Results<Ok<BalanceView>, ProblemHttpResult>> GetBalanceAsync(
        PayproClient paypro,
        CancellationToken cancellationToken)
    {
        var result = await paypro.GetBalanceAsync(cancellationToken);
        if (result.Outcome != PayproQueryOutcome.Found)
        {
            return TypedResults.Problem(
                title: "Paypro unavailable",
                detail: $"Paypro did not answer the balance query ({result.Detail ?? result.Code ?? "no answer"}).",
                statusCode: 502);
        }
        return TypedResults.Ok(new BalanceView(result.AvailableAmount, result.FreezeAmount, result.UnsettledAmount));
    }

    private static ProblemHttpResult Problem(string title, string detail, int status) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: status);
}

/// <summary>Paypro's answer to an M-Pesa receipt lookup, with the state it maps to.</summary>
internal sealed record MpesaLookupView(
    string Code,
    string State,
    string Status,
    string? Message,
    string? TradeNo,
    string? PlatFormTradeNo,
    string? Amount,
    string? MpesaReceiptNumber,
    DateTimeOffset? SuccessTime,
    string? RecordedState);

/// <summary>Paypro's answer to a balance query, in KES.</summary>
internal sealed record BalanceView(decimal? AvailableAmount, decimal? FreezeAmount, decimal? UnsettledAmount);
