namespace Paypro.Functions.Hosting;

/// <summary>
/// A timer-triggered function, fired on the NCRONTAB schedule named at registration. Runs of one timer
/// function never overlap.
/// </summary>
public interface ITimerFunction
{
    /// <summary>Runs once for an occurrence of the schedule. Throwing is logged; the next occurrence still fires.</summary>
    Task RunAsync(TimerTrigger trigger, CancellationToken cancellationToken);
}
