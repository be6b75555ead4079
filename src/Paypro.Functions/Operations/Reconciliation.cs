using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Operations;

/// <summary>
/// One run of the daily reconciliation with Paypro. For each Kenya day that <see cref="ReconcileOptions.Days"/> names, it walks
/// the day through the creation index (skipping orphan and duplicate rows, as the listing does) and asks Paypro's status
/// query about every final transaction other than a rejected one, with at most <see cref="ReconcileOptions.MaxConcurrency"/>
/// queries in flight; pending ones are only listed (the poller owns them). Each answer is compared by
/// <see cref="ReconciliationMatrix"/>; a disagreement is kept as an anomaly on the transaction and announced, never applied.
/// The walk goes on where the last run stopped, so a day larger than one run's budget takes several runs and no transaction is
/// queried twice; a transaction that got no definite answer is tried again by the next run, and the day is complete once none is left.
/// </summary>
public sealed class Reconciliation(
    ICreationIndex created,
    ITransactionStore store,
    IReconciliationStore days,
    PayproClient paypro,
    QueryChannel channel,
    TransactionProcessor processor,
    IOptions<ReconcileOptions> options,
    FunctionTimeout functionTimeout,
    TimeProvider time,
    ILogger<Reconciliation> logger)
{
    /// <summary>Transactions read from the creation index at once: one batch, whose answers are weighed together.</summary>
    public const int BatchSize = 500;

    private const string Source = "reconciliation";

    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = time.GetUtcNow();
        var today = KenyaTime.DayOf(started);
        bool OverBudget() => time.GetUtcNow() - started >= settings.TimeBudget;

        // As the poll: queries still running at the host's hard stop are cancelled here first (on the real clock, the host's).
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (functionTimeout.HardStop is { } stopAfter)
        {
            hardStop.CancelAfter(stopAfter);
        }
        try
        {
            // The days the setting names, then any earlier one a past night left incomplete (Paypro not answering), in its own pass.
            var due = settings.DaysBack.Select(back => (Day: today.AddDays(-back), Pass: back)).ToList();
            foreach (var left in await days.GetIncompleteDaysAsync(today.AddDays(-ReconcileOptions.MaxDaysBack), hardStop.Token)
                .ConfigureAwait(false))
            {
                if (!due.Any(d => d.Day == left.Day))
                {
                    due.Add(left);
                }
            }
            foreach (var (day, pass) in due)
            {
                if (OverBudget())
                {
                    break;
                }
                await ReconcileDayAsync(day, pass, OverBudget, hardStop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (hardStop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // What the cut-short batch found is not saved: the next run asks again from the last saved point.
            logger.ReconcileHardStopped(functionTimeout.HardStop!.Value);
        }
    }

    /// <summary>
    /// Reconciles one Kenya day, as far as the budget goes: first what earlier runs could not check, then the rest of the walk.
    /// </summary>
    private async Task<ReconciliationProgress> ReconcileDayAsync(
        DateOnly day,
        int pass,
        Func<bool> overBudget,
        CancellationToken cancellationToken)
    {
        var progress = await days.GetDayAsync(day, cancellationToken).ConfigureAwait(false);
        if (progress is not null && progress.Pass == pass && progress.Complete)
        {
            return progress;
        }
        if (progress is null || progress.Pass != pass)
        {
            progress = ReconciliationProgress.Start(day, pass, time.GetUtcNow());
        }
        var queried = 0;
        if (progress.NotChecked > 0 && !overBudget())
        {
            var retry = new List<Item>();
            await foreach (var row in days.ListRowsAsync(day, pass, ReconcileOutcome.NotChecked, cancellationToken).ConfigureAwait(false))
            {
                retry.Add(new Item(row.TradeNo, null, null, ReconcileOutcome.NotChecked));
            }
            queried += (await CheckBatchAsync(progress, retry, overBudget, cancellationToken).ConfigureAwait(false)).Queried;
        }
        var (from, to) = (KenyaTime.StartOf(day), KenyaTime.StartOf(day.AddDays(1)));
        while (!progress.Walked && !overBudget())
        {
            var page = await created.ListCreatedAsync(from, to, kind: null, BatchSize, progress.Cursor, cancellationToken)
                .ConfigureAwait(false);
            var items = page.Entries.Select(e => new Item(e.TradeNo, e.CreatedAt, e.Key, null)).ToList();
            var batch = await CheckBatchAsync(progress, items, overBudget, cancellationToken).ConfigureAwait(false);
            queried += batch.Queried;
            if (batch.Handled < items.Count)
            {
                // Stopped by the budget within the page: the next run goes on after the last one handled.
                progress.Cursor = batch.Handled == 0 ? progress.Cursor : items[batch.Handled - 1].Key;
                break;
            }
            progress.Cursor = page.ContinuationToken ?? progress.Cursor;
            progress.Walked = page.ContinuationToken is null;
        }
        progress.Complete = progress.Walked && progress.NotChecked == 0;
        progress.UpdatedAt = time.GetUtcNow();
        await days.SaveDayAsync(progress, cancellationToken).ConfigureAwait(false);
        var dayText = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        logger.Reconciled(
            dayText,
            pass,
            queried,
            progress.Agreed,
            progress.Disagreed,
            progress.Pending,
            progress.NotChecked,
            progress.Rejected,
            progress.Complete ? "complete" : progress.Walked ? "walked, not complete" : "more next run");
        if (progress.NotChecked > 0)
        {
            logger.ReconciliationIncomplete(dayText, progress.NotChecked, progress.Why ?? "Paypro gave no definite answer");
        }
        return progress;
    }

    /// <summary>
    /// Checks a batch in order, with bounded concurrency, until the budget is spent; saves what it found and counts it. The
    /// transactions handled are always the first <see cref="BatchResult.Handled"/> of the batch: the budget stops the hand-out,
    /// and a check handed out is finished. "Not found" answers are weighed once the batch is answered (<see cref="DecideNotFoundAsync"/>).
    /// </summary>
    private async Task<BatchResult> CheckBatchAsync(
        ReconciliationProgress progress,
        IReadOnlyList<Item> items,
        Func<bool> overBudget,
        CancellationToken cancellationToken)
    {
        var results = new ConcurrentDictionary<int, Checked>();
        await Parallel.ForEachAsync(
                HandOut(items, overBudget),
                new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxConcurrency, CancellationToken = cancellationToken },
                async (item, token) => results[item.Index] = await CheckAsync(item.Item, progress.Pass, token).ConfigureAwait(false))
            .ConfigureAwait(false);

        var answered = results.Values.Where(r => r.Row is not null).ToList();
        await DecideNotFoundAsync(progress, answered, cancellationToken).ConfigureAwait(false);
        var rows = answered.Select(r => r.Row!).ToList();
        await days.SaveRowsAsync(progress.Day, rows, cancellationToken).ConfigureAwait(false);
        foreach (var result in answered)
        {
            progress.Count(result.Row!.Outcome, result.Previous);
            FunctionsMetrics.Reconciled.Add(1, new KeyValuePair<string, object?>("outcome", result.Row.Outcome.ToWire()));
        }
        if (answered.FirstOrDefault(r => r.Row!.Outcome == ReconcileOutcome.NotChecked)?.Why is { } why)
        {
            progress.Why = why;
        }
        else if (progress.NotChecked == 0)
        {
            progress.Why = null;
        }
        progress.UpdatedAt = time.GetUtcNow();
        await days.SaveDayAsync(progress, cancellationToken).ConfigureAwait(false);
        return new BatchResult(results.Count, answered.Count(r => r.Queried));
    }

    private static IEnumerable<(int Index, Item Item)> HandOut(IReadOnlyList<Item> items, Func<bool> overBudget)
    {
        for (var i = 0; i < items.Count && !overBudget(); i++)
        {
            yield return (i, items[i]);
        }
    }

    /// <summary>
    /// One transaction: skipped (an orphan or duplicate index row), listed (pending, rejected), or asked about and compared.
    /// </summary>
    private async Task<Checked> CheckAsync(Item item, int pass, CancellationToken cancellationToken)
    {
        var record = await store.GetAsync(item.TradeNo, cancellationToken).ConfigureAwait(false);
        if (record is null || (item.CreatedAt is { } createdAt && record.CreatedAt != createdAt))
        {
            // An index row that names no creation (a crash between the index and the record, the loser of a race).
            return new Checked(null, item.Previous, false, null, null);
        }
        if (ReconciliationMatrix.Classify(record) is { } listed)
        {
            return new Checked(Row(record, pass, listed, [], null, null), item.Previous, false, null, null);
        }
        try
        {
            var result = await paypro.QueryStatusAsync(record.Kind, record.TradeNo, cancellationToken).ConfigureAwait(false);
            var detail = "reconciliation " + ResultText.Of(result);
            await store.AppendAuditAsync(
                    record.TradeNo,
                    new AuditEntry("paypro-query", result.Outcome.ToString(), detail),
                    cancellationToken)
                .ConfigureAwait(false);
            switch (result.Outcome)
            {
                case PayproQueryOutcome.Found when result.Transaction is { } found:
                    await channel.RecordFoundAsync(record.TradeNo, record.Kind, cancellationToken).ConfigureAwait(false);
                    var disagreements = ReconciliationMatrix.Compare(record, found);
                    await RecordAsync(record, disagreements, cancellationToken).ConfigureAwait(false);
                    return new Checked(
                        Row(
                            record,
                            pass,
                            disagreements.Count == 0 ? ReconcileOutcome.Agreed : ReconcileOutcome.Disagreed,
                            disagreements,
                            found,
                            null),
                        item.Previous,
                        true,
                        null,
                        null);
                case PayproQueryOutcome.NotFound:
                    // Weighed with the rest of the batch: alone it cannot tell a Paypro that lost the tradeNo from a broken channel.
                    return new Checked(Row(record, pass, ReconcileOutcome.NotChecked, [], null, detail), item.Previous, true, null, record);
                default:
                    return new Checked(Row(record, pass, ReconcileOutcome.NotChecked, [], null, detail), item.Previous, true,
                        $"Paypro gave no usable answer ({result.Detail ?? result.Code ?? "none"})", null);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.ReconcileCheckFailed(ex, record.TradeNo);
            return new Checked(Row(record, pass, ReconcileOutcome.NotChecked, [], null, ex.GetType().Name), item.Previous, true,
                $"a query or its recording failed ({ex.GetType().Name})", null);
        }
    }

    /// <summary>
    /// "Not found" is evidence only while the query channel is known good, and a whole batch answered "not found" is what a
    /// broken channel gives (a rotated secret, another merchantNo, code 8000 for every query). So the answers count only
    /// when the same credentials found other transactions in the same batch, or, with no found answer in it, when a fresh
    /// query for a transaction Paypro had found does find it (<see cref="QueryChannel.ProveAsync"/>). Otherwise they stay not checked.
    /// </summary>
    private async Task DecideNotFoundAsync(ReconciliationProgress progress, List<Checked> answered, CancellationToken cancellationToken)
    {
        var notFound = answered.Where(r => r.NotFound is not null).ToList();
        if (notFound.Count == 0)
        {
            return;
        }
        var anyFound = answered.Any(r => r.Queried && r.NotFound is null && r.Why is null);
        var proven = anyFound
            ? await channel.IsKnownGoodAsync(cancellationToken).ConfigureAwait(false)
            : await channel.ProveAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < answered.Count; i++)
        {
            if (answered[i].NotFound is not { } record)
            {
                continue;
            }
            if (!proven)
            {
                answered[i] = answered[i] with
                {
                    Why = $"Paypro answered that it does not know {notFound.Count} of them, while its status queries are not known to work"
                        + (anyFound
                            ? ""
                            : " (none in the same batch found a transaction, and a query for one it had found did not find it)")
                        + $"; see {LogMarkers.QueriesFailing}",
                };
                continue;
            }
            var disagreement = ReconciliationMatrix.CompareNotFound(record);
            if (disagreement is not null)
            {
                await RecordAsync(record, [disagreement], cancellationToken).ConfigureAwait(false);
            }
            answered[i] = answered[i] with
            {
                Row = Row(
                    record,
                    progress.Pass,
                    disagreement is null ? ReconcileOutcome.Agreed : ReconcileOutcome.Disagreed,
                    disagreement is null ? [] : [disagreement],
                    null,
                    answered[i].Row!.Detail),
            };
        }
    }

    /// <summary>
    /// Keeps each disagreement as an anomaly (once per name: a second run, or a callback that brought the same answer, adds nothing).
    /// </summary>
    private async Task RecordAsync(
        TransactionRecord record,
        IReadOnlyList<Disagreement> disagreements,
        CancellationToken cancellationToken)
    {
        foreach (var disagreement in disagreements)
        {
            var (updated, transition) = await processor.UpdateAsync(
                    record,
                    (current, _) => TransactionRules.OnDisagreement(current, disagreement),
                    Source,
                    null,
                    cancellationToken)
                .ConfigureAwait(false);
            record = updated;
            if (transition is not null)
            {
                FunctionsMetrics.ReconciliationDisagreements.Add(1, new KeyValuePair<string, object?>("kind", record.Kind.ToWire()),
                    new KeyValuePair<string, object?>("disagreement", string.Join(',', disagreement.Kinds)),
                    new KeyValuePair<string, object?>("severity", disagreement.Critical ? "critical" : "error"));
            }
        }
    }

    private ReconciliationRow Row(
        TransactionRecord record,
        int pass,
        ReconcileOutcome outcome,
        IReadOnlyList<Disagreement> disagreements,
        PayproTransaction? found,
        string? detail) =>
        new(record.TradeNo, record.Kind, pass, outcome, record.State, record.Amount, [.. disagreements.SelectMany(d => d.Kinds).Distinct()],
            disagreements.Any(d => d.Critical), found?.Status, found?.AmountText, found?.PlatFormTradeNo,
            disagreements.Count > 0 ? string.Join(" | ", disagreements.Select(d => d.Text)) : detail, time.GetUtcNow());

    /// <summary>
    /// A transaction to look at: from the creation index (its creation time and key), or one an earlier run could not check.
    /// </summary>
    private sealed record Item(string TradeNo, DateTimeOffset? CreatedAt, string? Key, ReconcileOutcome? Previous);

    /// <summary>
    /// What one look found: the row to save (null for a skipped index row), the outcome it replaces, whether Paypro was asked,
    /// why it could not be checked, and the record Paypro answered "not found" for, still to be weighed.
    /// </summary>
    private sealed record Checked(
        ReconciliationRow? Row,
        ReconcileOutcome? Previous,
        bool Queried,
        string? Why,
        TransactionRecord? NotFound);

    private readonly record struct BatchResult(int Handled, int Queried);
}
