using Microsoft.Extensions.Options;

namespace Paypro.Functions.Configuration;

/// <summary>Retention of the audit trail (section <c>Audit</c>). Transaction records are kept; only audit rows are deleted.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "Audit";

    /// <summary>Audit rows older than this are deleted: 400 days, more than the 12 months payment audit standards ask for.</summary>
    [SettingRange(30, 36500, ErrorMessage = "Audit:RetentionDays must be between 30 and 36500.")]
    public int RetentionDays { get; set; } = 400;

    /// <summary>The most audit rows one run deletes; the next run goes on where it stopped.</summary>
    [SettingRange(100, 1_000_000, ErrorMessage = "Audit:MaxDeletesPerRun must be between 100 and 1000000.")]
    public int MaxDeletesPerRun { get; set; } = 20_000;
}

[OptionsValidator]
internal sealed partial class AuditOptionsValidator : IValidateOptions<AuditOptions>;
