using System.ComponentModel.DataAnnotations;

namespace Paypro.Functions.Configuration;

/// <summary>
/// A whole-number range on a setting, refused with its <see cref="ValidationAttribute.ErrorMessage"/>, which names the
/// setting. The options validator generator replaces <see cref="RangeAttribute"/> itself with a copy of its own that words
/// the failure as "The field NotifyOptions.MaxBodyBytes must be ...", whatever ErrorMessage says; a type derived from it is
/// used as written.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SettingRangeAttribute(int minimum, int maximum) : RangeAttribute(minimum, maximum);
