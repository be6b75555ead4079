using NCrontab;

namespace Paypro.Functions.Hosting;

/// <summary>
/// Self-hosted timer trigger: fires a timer function at each occurrence of its six-field NCRONTAB schedule
/// (in UTC, the host's default time zone). Runs never overlap: occurrences that pass while the function is
/// still running are skipped, as the host does, and the next run starts at the first occurrence after it ends.
/// </summary>
internal sealed class TimerListener(TimerFunctionDescriptor function, CrontabSchedule schedule, FunctionInvoker invoker, TimeProvider time, ILogger logger)
{
    /// <summary>How late a run may start and still count as on time.</summary>
    internal static readonly TimeSpan PastDueTolerance = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        DateTimeOffset? lastRun = null;
        try
        {
            var due = NextOccurrence(time.GetUtcNow());
            while (!stoppingToken.IsCancellationRequested)
            {
                // A timer may wake a little early against the wall clock; wait out the remainder.
                for (var now = time.GetUtcNow(); now < due; now = time.GetUtcNow())
                {
                    await Task.Delay(due - now, time, stoppingToken).ConfigureAwait(false);
                }

                var trigger = CreateTrigger(function.Name, due, time.GetUtcNow(), lastRun);
                try
                {
                    await invoker.InvokeAsync(function, trigger, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "{FunctionName} failed for its run due at {Due:O}; the next run is due at {Next:O}.", function.Name, due, trigger.NextRun);
                }
                lastRun = due;
                due = NextOccurrence(time.GetUtcNow());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal DateTimeOffset NextOccurrence(DateTimeOffset after) =>
        new(DateTime.SpecifyKind(schedule.GetNextOccurrence(after.UtcDateTime), DateTimeKind.Utc));

    internal TimerTrigger CreateTrigger(string functionName, DateTimeOffset due, DateTimeOffset now, DateTimeOffset? lastRun) =>
        new(functionName, now - due > PastDueTolerance, lastRun, NextOccurrence(due > now ? due : now));
}
