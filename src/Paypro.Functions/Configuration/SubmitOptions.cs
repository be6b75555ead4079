using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Configuration;

/// <summary>
/// Settings of the HTTP submit endpoints, <c>POST /api/payouts</c> and <c>POST /api/payins</c> (section <c>Submit</c>).
/// They are a second way to move money, so they are off unless turned on.
/// </summary>
public sealed class SubmitOptions : IValidatableObject
{
    public const string SectionName = "Submit";
    private const string AllowedRangesSetting = SectionName + ":" + nameof(AllowedIpRanges);

    /// <summary>When false (the default) the endpoints answer 404.</summary>
    public bool HttpEnabled { get; set; }

    /// <summary>Comma-separated CIDR ranges (or single addresses) allowed to submit; empty allows any caller that has the key.</summary>
    public string AllowedIpRanges { get; set; } = "";

    /// <summary>Largest accepted body; a payout request is a few hundred bytes.</summary>
    [SettingRange(512, 1024 * 1024, ErrorMessage = "Submit:MaxBodyBytes must be between 512 and 1048576.")]
    public int MaxBodyBytes { get; set; } = 16 * 1024;

    public IpAllowList ParseAllowedRanges() => IpAllowList.Parse(AllowedIpRanges, AllowedRangesSetting);

    /// <summary>The allow-list is a parse, which no annotation can check.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        IpAllowList.Check(AllowedIpRanges, AllowedRangesSetting);
}

[OptionsValidator]
internal sealed partial class SubmitOptionsValidator : IValidateOptions<SubmitOptions>;
