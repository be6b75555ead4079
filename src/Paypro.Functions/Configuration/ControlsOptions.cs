using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Configuration;

/// <summary>
/// The money controls on payouts (section <c>Controls</c>): daily limits per Kenya day (UTC+3), a hold for large
/// payouts, and how long a held payout waits for an operator. Every limit and the threshold are off when unset, so a
/// deployment behaves as before until it sets them. Payins collect money and are never held.
/// </summary>
public sealed class ControlsOptions : IValidatableObject
{
    public const string SectionName = "Controls";

    /// <summary>Total amount (KES) of the payouts cleared to be sent in one Kenya day.</summary>
    public long? DailyAmountLimit { get; set; }

    /// <summary>Number of payouts cleared to be sent in one Kenya day.</summary>
    public long? DailyCountLimit { get; set; }

    /// <summary>Amount (KES) cleared to one receiving mobile number in one Kenya day.</summary>
    public long? MobileDailyAmountLimit { get; set; }

    /// <summary>Number of payouts cleared to one receiving mobile number in one Kenya day.</summary>
    public long? MobileDailyCountLimit { get; set; }

    /// <summary>A payout above this amount (KES) is held for an operator's approval, whatever the limits say.</summary>
    public long? ApprovalThreshold { get; set; }

    /// <summary>A payout held longer than this is cancelled (rejected, nothing sent), with that reason.</summary>
    public TimeSpan HoldExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Whether a day limit is set: only then are payouts counted per day.</summary>
    public bool CountsDays => DailyAmountLimit is not null || DailyCountLimit is not null;

    /// <summary>Whether a limit per mobile number is set: only then are payouts counted per mobile number.</summary>
    public bool CountsMobiles => MobileDailyAmountLimit is not null || MobileDailyCountLimit is not null;

    /// <summary>The limits and the expiry, checked by hand: the messages say the value they got, which an annotation cannot.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        foreach (var (setting, value) in new[]
        {
            ("DailyAmountLimit", DailyAmountLimit),
            ("DailyCountLimit", DailyCountLimit),
            ("MobileDailyAmountLimit", MobileDailyAmountLimit),
            ("MobileDailyCountLimit", MobileDailyCountLimit),
            ("ApprovalThreshold", ApprovalThreshold),
        })
        {
            if (value is < 0)
            {
                yield return new ValidationResult(
                    $"Controls:{setting} must be a whole number of 0 or more (unset turns it off); got {value}.");
            }
        }
        if (HoldExpiry <= TimeSpan.Zero || HoldExpiry > TimeSpan.FromDays(365))
        {
            yield return new ValidationResult(
                $"Controls:HoldExpiry must be more than zero and at most 365 days; got {HoldExpiry}.");
        }
    }
}

[OptionsValidator]
internal sealed partial class ControlsOptionsValidator : IValidateOptions<ControlsOptions>;
