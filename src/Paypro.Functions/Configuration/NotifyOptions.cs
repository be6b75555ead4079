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
public sealed class NotifyOptions : IAllowListOptions
{
    public const string SectionName = "Notify";

    /// <summary>Largest accepted body; Paypro's callbacks are a few hundred bytes.</summary>
    [Range(512, 1024 * 1024, ErrorMessage = "Notify:MaxBodyBytes must be between 512 and 1048576.")]
    public int MaxBodyBytes { get; set; } = 16 * 1024;

    [EnumDataType(typeof(UnsignedCallbackPolicy), ErrorMessage = "Notify:UnsignedPolicy must be ConfirmByQuery or Reject.")]
    public UnsignedCallbackPolicy UnsignedPolicy { get; set; } = UnsignedCallbackPolicy.ConfirmByQuery;

    /// <summary>
    /// Comma-separated CIDR ranges (or single addresses) allowed to call; empty allows any caller that has the function key.
    /// </summary>
    public string AllowedIpRanges { get; set; } = "";

    public IpAllowList ParseAllowedRanges() => IpAllowList.Parse(AllowedIpRanges, "Notify:AllowedIpRanges");
}

[OptionsValidator]
internal sealed partial class NotifyOptionsAnnotationsValidator : IValidateOptions<NotifyOptions>;

/// <summary>Options that carry an IP allow-list.</summary>
internal interface IAllowListOptions
{
    /// <summary>The allow-list the setting describes.</summary>
    /// <exception cref="FormatException">An entry is not an address or a CIDR range; the message names the setting.</exception>
    IpAllowList ParseAllowedRanges();
}

/// <summary>Checks an allow-list setting, written by hand because the check is a parse, not an annotation.</summary>
internal sealed class AllowListValidator<TOptions> : IValidateOptions<TOptions> where TOptions : class, IAllowListOptions
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        try
        {
            options.ParseAllowedRanges();
            return ValidateOptionsResult.Success;
        }
        catch (FormatException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
