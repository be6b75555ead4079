using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Configuration;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Functions;

/// <summary>Deletes audit rows older than Audit:RetentionDays, in bounded batches; transaction records are kept.</summary>
public sealed class PurgeAuditTrail(AuditRetention retention)
{
    [Function(nameof(PurgeAuditTrail))]
    public Task Run([TimerTrigger(TimerSchedules.AuditPurgeExpression)] TimerInfo timer, CancellationToken cancellationToken) =>
        retention.PurgeAsync(cancellationToken);
}
