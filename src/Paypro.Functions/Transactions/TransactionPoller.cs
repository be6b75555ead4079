using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.Transactions;

/// <summary>
/// One run of the poll: follows up the payouts and payins that are due, with bounded concurrency. It keeps
/// reading due entries, a batch at a time, until every entry that was due when the run started has been taken
/// or its time budget is spent, so a backlog is worked through in one run rather than a batch per schedule
/// occurrence. It reads only the due entries, so its cost follows the number of pending transactions, not the
/// number ever made.
/// </summary>
public sealed class TransactionPoller
{
    private readonly IDueIndex _due;
    private readonly TransactionChecker _checker;
    private readonly PollOptions _options;
    private readonly FunctionTimeout _functionTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger<TransactionPoller> _logger;

    public TransactionPoller(
        IDueIndex due,
        TransactionChecker checker,
        IOptions<PollOptions> options,
        FunctionTimeout functionTimeout,
        TimeProvider time,
        ILogger<TransactionPoller> logger)
    {
        _due = due;
        _checker = checker;
        _options = options.Value;
        _functionTimeout = functionTimeout;
        _time = time;
        _logger = logger;
    }

    /// <param name="isPastDue">Whether the run starts later than scheduled (logged: the app was down, busy or asleep).</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    public async Task PollAsync(bool isPastDue, CancellationToken cancellationToken)
    {
        var settings = _options;
        var run = new Run(_time.GetUtcNow());
        bool OverBudget() => _time.GetUtcNow() - run.Started >= settings.TimeBudget;

        // The host cancels an invocation at functionTimeout (and may restart the instance): checks still running at the
        // hard stop, shortly before, are cancelled here instead. That time is the host's, so it runs on the real clock.
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_functionTimeout.HardStop is { } stopAfter)
        {
            hardStop.CancelAfter(stopAfter);
        }

        // One pool of workers over all batches: the next batch is read as soon as the previous one is handed
        // out, so the number of queries in flight stays at MaxConcurrency instead of draining between batches.
        try
        {
            await RunAsync(run, OverBudget, hardStop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (hardStop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // What was cut short stays due (a check that wrote part of its work left the rest to the outbox invariant).
            _logger.PollHardStopped(_functionTimeout.HardStop!.Value, _functionTimeout.Value!.Value, run.Taken, run.Checked);
            return;
        }
        _logger.Polled(run.Taken, run.Batches, run.Checked, run.Failed, run.Skipped, isPastDue);
    }

    private Task RunAsync(Run run, Func<bool> overBudget, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(
            TakeDueAsync(run, _options.BatchSize, overBudget, cancellationToken),
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
            async (entry, token) =>
            {
                if (overBudget())
                {
                    // Left due: the next run picks it up.
                    Interlocked.Increment(ref run.Skipped);
                    return;
                }
                try
                {
                    await _checker.CheckDueAsync(entry, token).ConfigureAwait(false);
                    Interlocked.Increment(ref run.Checked);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One transaction's trouble must not stop the others; its entry stays due.
                    Interlocked.Increment(ref run.Failed);
                    _logger.CheckFailed(ex, entry.TradeNo);
                }
            });

    /// <summary>
    /// The entries that were due when the run started, each once. Only entries due at the start are read, so
    /// an entry the run itself moved to a later time is not read again; entries still being checked, or whose
    /// check failed (they stay due), come back in the next read and are passed over. The reads stop at a
    /// short batch (nothing due is left), at a batch with nothing new in it, or when the time budget is spent.
    /// </summary>
    private async IAsyncEnumerable<DueEntry> TakeDueAsync(
        Run run,
        int batchSize,
        Func<bool> overBudget,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        while (!overBudget())
        {
            var (batch, more) = await _due.GetDueAsync(run.Started, batchSize, cancellationToken).ConfigureAwait(false);
            run.Batches++;
            var fresh = 0;
            foreach (var entry in batch)
            {
                if (taken.Add(entry.TradeNo))
                {
                    fresh++;
                    run.Taken++;
                    yield return entry;
                }
            }
            if (!more || fresh == 0)
            {
                yield break;
            }
        }
    }

    /// <summary>The counts of one run; the checks update them from several workers at once.</summary>
    private sealed class Run(DateTimeOffset started)
    {
        public DateTimeOffset Started { get; } = started;
        public int Batches;
        public int Taken;
        public int Checked;
        public int Failed;
        public int Skipped;
    }
}
