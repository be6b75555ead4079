using System.Globalization;
using System.Text;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Operations;

/// <summary>Counts by outcome of a reconciled day.</summary>
public sealed record ReconciliationCounts(int Agreed, int Disagreed, int Pending, int NotChecked, int Rejected);

/// <summary>A disagreement in the day report: the transaction as recorded, what disagrees, and what Paypro said.</summary>
public sealed record DisagreementView(
    string TradeNo,
    string Kind,
    string State,
    long Amount,
    IReadOnlyList<string> Disagreements,
    string Severity,
    string? PayproStatus,
    string? PayproAmount,
    string? PayproPlatFormTradeNo,
    string? Detail);

/// <summary>
/// <c>GET /api/reconciliation/{date}</c>: where the reconciliation of a Kenya day stands. <see cref="Complete"/> once every
/// transaction compared got a definite answer; <see cref="Why"/> says why some could not be checked.
/// </summary>
public sealed record ReconciliationReport(
    string Date,
    DateTimeOffset From,
    DateTimeOffset To,
    int Pass,
    bool Complete,
    bool Walked,
    ReconciliationCounts Counts,
    string? Why,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<DisagreementView> Disagreements,
    bool Truncated);

/// <summary>The day report of the operator's API, as JSON or as CSV; reads only what reconciliation wrote.</summary>
public sealed class ReconciliationReports(IReconciliationStore days, TimeProvider time)
{
    /// <summary>The most disagreements the JSON report lists; the CSV has every transaction.</summary>
    public const int MaxDisagreements = 1000;

    /// <summary>Reads a Kenya day, <c>yyyy-MM-dd</c>, that is over: a day still running, or to come, has nothing to report.</summary>
    public bool TryParseDay(string? text, out DateOnly day, out string? error)
    {
        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
        {
            error = $"date must be a Kenya calendar day written yyyy-MM-dd, such as 2026-11-24; got '{Clip(text)}'.";
            return false;
        }
        var today = KenyaTime.DayOf(time.GetUtcNow());
        if (day >= today)
        {
            error = $"{text} is not over yet in Kenya (today there is {today:yyyy-MM-dd}); a day is reconciled after it ends.";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>The report of <paramref name="day"/>, or null when no run has reconciled it.</summary>
    public async Task<ReconciliationReport?> GetAsync(DateOnly day, CancellationToken cancellationToken)
    {
        if (await days.GetDayAsync(day, cancellationToken).ConfigureAwait(false) is not { } progress)
        {
            return null;
        }
        var disagreements = new List<DisagreementView>();
        var truncated = false;
        await foreach (var row in days.ListRowsAsync(day, progress.Pass, ReconcileOutcome.Disagreed, cancellationToken)
            .ConfigureAwait(false))
        {
            if (disagreements.Count == MaxDisagreements)
            {
                truncated = true;
                break;
            }
            disagreements.Add(new DisagreementView(
                row.TradeNo,
                row.Kind.ToWire(),
                row.State.ToWire(),
                row.Amount,
                [.. row.Disagreements.Select(Wire)],
                row.Critical ? "critical" : "error",
                row.PayproStatus,
                row.PayproAmount,
                row.PayproPlatFormTradeNo,
                row.Detail));
        }
        return new ReconciliationReport(
            day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            KenyaTime.StartOf(day),
            KenyaTime.StartOf(day.AddDays(1)),
            progress.Pass,
            progress.Complete,
            progress.Walked,
            new ReconciliationCounts(progress.Agreed, progress.Disagreed, progress.Pending, progress.NotChecked, progress.Rejected),
            progress.Why,
            progress.StartedAt,
            progress.UpdatedAt,
            disagreements,
            truncated);
    }

    /// <summary>Every transaction reconciliation looked at in the day's pass, with its outcome, as CSV in tradeNo order.</summary>
    public async Task WriteCsvAsync(DateOnly day, int pass, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true);
        await writer.WriteLineAsync(
                "tradeNo,kind,state,amount,outcome,disagreements,severity,payproStatus,payproAmount,payproPlatFormTradeNo,checkedAt,detail")
            .ConfigureAwait(false);
        var written = 0;
        await foreach (var row in days.ListRowsAsync(day, pass, outcome: null, cancellationToken).ConfigureAwait(false))
        {
            await writer.WriteLineAsync(string.Join(
                    ',',
                    Csv.Cell(row.TradeNo),
                    row.Kind.ToWire(),
                    row.State.ToWire(),
                    row.Amount.ToString(CultureInfo.InvariantCulture),
                    row.Outcome.ToWire(),
                    Csv.Cell(string.Join(' ', row.Disagreements.Select(Wire))),
                    row.Outcome == ReconcileOutcome.Disagreed ? row.Critical ? "critical" : "error" : "",
                    Csv.Cell(row.PayproStatus),
                    Csv.Cell(row.PayproAmount),
                    Csv.Cell(row.PayproPlatFormTradeNo),
                    Csv.Time(row.At),
                    Csv.Cell(row.Detail)))
                .ConfigureAwait(false);
            if (++written % 1000 == 0)
            {
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A disagreement's wire name: <c>state</c>, <c>amount</c>, <c>platFormTradeNo</c>, <c>unknownToPaypro</c>, <c>paidNotSent</c>.
    /// </summary>
    public static string Wire(DisagreementKind kind) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(kind.ToString());

    private static string Clip(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "…";
}
