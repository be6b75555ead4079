using Paypro.Functions.Transactions;


namespace Paypro.Functions.Operations;

/// <summary>
/// Where the reconciliation of one Kenya day stands: which pass (days back from the night it runs), how far the walk through
/// the creation index has got, and the counts by outcome. A run changes it in memory and saves it after each batch.
/// </summary>
public sealed class ReconciliationProgress
{
    public required DateOnly Day { get; init; }

    /// <summary>
    /// Days before the night it runs in (1: the day just ended; 8: checked again a week on). A new pass starts the day afresh.
    /// </summary>
    public required int Pass { get; init; }

    /// <summary>Where the walk goes on in the creation index (the key of the last transaction handled); null at the start.</summary>
    public string? Cursor { get; set; }

    /// <summary>Every transaction of the day has been handled once.</summary>
    public bool Walked { get; set; }

    /// <summary>Walked, and every transaction that is compared got a definite answer.</summary>
    public bool Complete { get; set; }

    public int Agreed { get; set; }
    public int Disagreed { get; set; }
    public int Pending { get; set; }
    public int NotChecked { get; set; }
    public int Rejected { get; set; }

    /// <summary>Why the transactions not checked could not be, as the last run saw it.</summary>
    public string? Why { get; set; }

    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    public static ReconciliationProgress Start(DateOnly day, int pass, DateTimeOffset now) =>
        new() { Day = day, Pass = pass, StartedAt = now, UpdatedAt = now };

    /// <summary>Counts a transaction's outcome, taking back the one an earlier run gave it.</summary>
    public void Count(ReconcileOutcome outcome, ReconcileOutcome? previous)
    {
        if (previous is { } taken)
        {
            Add(taken, -1);
        }
        Add(outcome, +1);
    }

    private void Add(ReconcileOutcome outcome, int by)
    {
        switch (outcome)
        {
            case ReconcileOutcome.Agreed:
                Agreed += by;
                break;
            case ReconcileOutcome.Disagreed:
                Disagreed += by;
                break;
            case ReconcileOutcome.Pending:
                Pending += by;
                break;
            case ReconcileOutcome.NotChecked:
                NotChecked += by;
                break;
            default:
                Rejected += by;
                break;
        }
    }
}

/// <summary>What reconciliation found for one transaction in one pass: its outcome, and for a disagreement what Paypro said.</summary>
public sealed record ReconciliationRow(
    string TradeNo,
    TransactionKind Kind,
    int Pass,
    ReconcileOutcome Outcome,
    TransactionState State,
    long Amount,
    IReadOnlyList<DisagreementKind> Disagreements,
    bool Critical,
    string? PayproStatus,
    string? PayproAmount,
    string? PayproPlatFormTradeNo,
    string? Detail,
    DateTimeOffset At);

/// <summary>Reconciliation's own records: the progress of each day and one row per transaction it looked at.</summary>
public interface IReconciliationStore
{
    Task<ReconciliationProgress?> GetDayAsync(DateOnly day, CancellationToken cancellationToken);

    /// <summary>
    /// The days from <paramref name="from"/> on that a pass started and has not completed, with their pass, oldest first.
    /// </summary>
    Task<IReadOnlyList<(DateOnly Day, int Pass)>> GetIncompleteDaysAsync(DateOnly from, CancellationToken cancellationToken);

    Task SaveDayAsync(ReconciliationProgress progress, CancellationToken cancellationToken);

    /// <summary>Writes the rows (replacing a transaction's earlier row), in batches.</summary>
    Task SaveRowsAsync(DateOnly day, IReadOnlyCollection<ReconciliationRow> rows, CancellationToken cancellationToken);

    /// <summary>The rows of a pass in tradeNo order, only those of <paramref name="outcome"/> when given.</summary>
    IAsyncEnumerable<ReconciliationRow> ListRowsAsync(
        DateOnly day,
        int pass,
        ReconcileOutcome? outcome,
        CancellationToken cancellationToken);

    /// <summary>
    /// Deletes what reconciliation kept of the days before <paramref name="before"/>, oldest first, at most <paramref name="max"/>
    /// rows; a day's progress goes last, so a day cut short is found again by the next call. Returns how many rows went.
    /// </summary>
    Task<int> DeleteDaysBeforeAsync(DateOnly before, int max, CancellationToken cancellationToken);
}
