using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Configuration;

/// <summary>What to do with a callback that carries no <c>sign</c> (Paypro Kenya's page lists none).</summary>
public enum UnsignedCallbackPolicy
{
    /// <summary>Record it as a hint and change nothing until a query to Paypro confirms the result.</summary>
    ConfirmByQuery,

    /// <summary>Answer 401 and record it as a rejected callback.</summary>
    Reject,
}

/// <summary>Settings of the notify callback (section <c>Notify</c>).</summary>
public sealed class NotifyOptions : IValidatableObject
{
    public const string SectionName = "Notify";
    private const string AllowedRangesSetting = SectionName + ":" + nameof(AllowedIpRanges);

    /// <summary>Largest accepted body; Paypro's callbacks are a few hundred bytes.</summary>
    [SettingRange(512, 1024 * 1024, ErrorMessage = "Notify:MaxBodyBytes must be between 512 and 1048576.")]
    public int MaxBodyBytes { get; set; } = 16 * 1024;

    [EnumDataType(typeof(UnsignedCallbackPolicy), ErrorMessage = "Notify:UnsignedPolicy must be ConfirmByQuery or Reject.")]
    public UnsignedCallbackPolicy UnsignedPolicy { get; set; } = UnsignedCallbackPolicy.ConfirmByQuery;

    /// <summary>
    /// Comma-separated CIDR ranges (or single addresses) allowed to call; empty allows any caller that has the function key.
    /// </summary>
    public string AllowedIpRanges { get; set; } = "";

    public IpAllowList ParseAllowedRanges() => IpAllowList.Parse(AllowedIpRanges, AllowedRangesSetting);

    /// <summary>The allow-list is a parse, which no annotation can check.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        IpAllowList.Check(AllowedIpRanges, AllowedRangesSetting);
}

[OptionsValidator]
internal sealed partial class NotifyOptionsValidator : IValidateOptions<NotifyOptions>;
