using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Hosting;
using Paypro.Functions.Storage;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Functions;

/// <summary>
/// Timer function <c>PollPendingPayouts</c> on <c>%PollSchedule%</c>: follows up pending payouts and payins
/// that are due, with bounded concurrency, and stops starting new checks when its time budget is spent.
/// </summary>
public sealed class PollPendingPayoutsFunction(TransactionStore store, TransactionChecker checker, IOptions<PollOptions> options, TimeProvider time, ILogger<PollPendingPayoutsFunction> logger) : ITimerFunction
{
    public const string Name = "PollPendingPayouts";

    public async Task RunAsync(TimerTrigger trigger, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = time.GetUtcNow();
        var due = await store.GetDueAsync(started, settings.BatchSize, cancellationToken);
        var checkedCount = 0;
        var failed = 0;
        var skipped = 0;
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrency, CancellationToken = cancellationToken }, async (entry, token) =>
        {
            if (time.GetUtcNow() - started >= settings.TimeBudget)
            {
                // Left due: the next run picks it up.
                Interlocked.Increment(ref skipped);
                return;
            }
            try
            {
                await checker.CheckDueAsync(entry, token);
                Interlocked.Increment(ref checkedCount);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One transaction's trouble must not stop the others; its entry stays due.
                Interlocked.Increment(ref failed);
                logger.LogWarning(ex, "Check of {TradeNo} failed; it stays due.", entry.TradeNo);
            }
        });
        logger.LogInformation("Poll: {Due} due, {Checked} checked, {Failed} failed, {Skipped} left for the next run (past due: {PastDue}).",
            due.Count, checkedCount, failed, skipped, trigger.IsPastDue);
    }
}
