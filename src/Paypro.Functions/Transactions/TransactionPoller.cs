using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Storage;

namespace Paypro.Functions.Transactions;

/// <summary>
/// One run of the poll: follows up the payouts and payins that are due, with bounded concurrency, and stops
/// starting new checks when its time budget is spent. It reads only the due entries, so its cost follows the
/// number of pending transactions, not the number ever made.
/// </summary>
public class TransactionPoller
{
    private readonly TransactionStore _store;
    private readonly TransactionChecker _checker;
    private readonly PollOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TransactionPoller> _logger;

    public TransactionPoller(TransactionStore store, TransactionChecker checker, IOptions<PollOptions> options, TimeProvider time, ILogger<TransactionPoller> logger)
    {
        _store = store;
        _checker = checker;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>For mocking: a test double overrides <see cref="PollAsync"/>.</summary>
    protected TransactionPoller()
    {
        _store = null!;
        _checker = null!;
        _options = null!;
        _time = TimeProvider.System;
        _logger = null!;
    }

    /// <param name="isPastDue">Whether the run starts later than scheduled (logged: the app was down, busy or asleep).</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    public virtual async Task PollAsync(bool isPastDue, CancellationToken cancellationToken)
    {
        var settings = _options;
        var started = _time.GetUtcNow();
        var due = await _store.GetDueAsync(started, settings.BatchSize, cancellationToken).ConfigureAwait(false);
        var checkedCount = 0;
        var failed = 0;
        var skipped = 0;
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrency, CancellationToken = cancellationToken }, async (entry, token) =>
        {
            if (_time.GetUtcNow() - started >= settings.TimeBudget)
            {
                // Left due: the next run picks it up.
                Interlocked.Increment(ref skipped);
                return;
            }
            try
            {
                await _checker.CheckDueAsync(entry, token).ConfigureAwait(false);
                Interlocked.Increment(ref checkedCount);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One transaction's trouble must not stop the others; its entry stays due.
                Interlocked.Increment(ref failed);
                _logger.LogWarning(ex, "Check of {TradeNo} failed; it stays due.", entry.TradeNo);
            }
        }).ConfigureAwait(false);
        _logger.LogInformation("Poll: {Due} due, {Checked} checked, {Failed} failed, {Skipped} left for the next run (past due: {PastDue}).",
            due.Count, checkedCount, failed, skipped, isPastDue);
    }
}
