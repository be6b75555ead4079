namespace Paypro.Functions.Configuration;

/// <summary>
/// The timer functions' schedules: flat settings (no section), like the queue names, because the trigger attributes
/// name them as <c>%PollSchedule%</c> and the host resolves binding expressions against plain names.
/// </summary>
internal static class TimerSchedules
{
    public const string PollSetting = "PollSchedule";
    public const string AuditPurgeSetting = "AuditPurgeSchedule";
    public const string ReconcileSetting = "ReconcileSchedule";

    /// <summary>The binding expressions of the trigger attributes.</summary>
    public const string PollExpression = "%" + PollSetting + "%";
    public const string AuditPurgeExpression = "%" + AuditPurgeSetting + "%";
    public const string ReconcileExpression = "%" + ReconcileSetting + "%";
}
