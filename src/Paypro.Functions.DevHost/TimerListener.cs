using Microsoft.Azure.Functions.Worker;
using NCrontab;

namespace Paypro.Functions.DevHost;

/// <summary>
/// The development host's timer trigger: fires a timer function at each occurrence of its six-field NCRONTAB
/// schedule (in UTC, the host's default time zone). Runs never overlap: occurrences that pass while the function
/// is still running are skipped, as the host does, and the next run starts at the first occurrence after it ends.
/// </summary>
internal sealed class TimerListener(
    TimerFunction function,
    CrontabSchedule schedule,
    IFunctionInvocation invocation,
    TimeProvider time,
    ILogger logger)
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

                var timer = CreateTimerInfo(due, time.GetUtcNow(), lastRun);
                try
                {
                    await invocation.InvokeTimerAsync(function, timer, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex)
                {
                    logger.TimerRunFailed(ex, function.Name, due, timer.ScheduleStatus?.Next);
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

    internal TimerInfo CreateTimerInfo(DateTimeOffset due, DateTimeOffset now, DateTimeOffset? lastRun) => new()
    {
        IsPastDue = now - due > PastDueTolerance,
        ScheduleStatus = new ScheduleStatus
        {
            Last = (lastRun ?? default).UtcDateTime,
            Next = NextOccurrence(due > now ? due : now).UtcDateTime,
            LastUpdated = now.UtcDateTime,
        },
    };

    /// <summary>Parses a six-field NCRONTAB expression, as the host's timer trigger takes it.</summary>
    public static CrontabSchedule ParseSchedule(string expression, string setting)
    {
        // Six fields (seconds first); a five-field expression would parse with a different meaning in other
        // cron dialects, so it is refused rather than guessed.
        var schedule = string.IsNullOrWhiteSpace(expression)
            ? null
            : CrontabSchedule.TryParse(expression.Trim(), new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        return schedule ?? throw new InvalidOperationException(
            $"{setting} '{expression}' is not a six-field NCRONTAB schedule"
                + $" ('{{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}', for example '0 */1 * * * *').");
    }
}
