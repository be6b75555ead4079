using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Configuration;

/// <summary>
/// The queue names. These are flat settings (no section) because the trigger attributes name them as
/// <c>%PayoutsQueueName%</c>: the host resolves binding expressions against plain names. The timer schedules are
/// <see cref="TimerSchedules"/>. Bound from the configuration's root (<see cref="Register"/>); a setting left blank
/// takes the default.
/// </summary>
public sealed class QueueNames : IValidatableObject
{
    public const string PayoutsSetting = "PayoutsQueueName";
    public const string PayinsSetting = "PayinsQueueName";
    public const string EventsSetting = "EventsQueueName";

    /// <summary>
    /// The time to live of a request the app itself puts on the payouts or payins queue (the HTTP submit, a redrive):
    /// never expires, so a pause of the queue function (its platform switch), however long, loses nothing. The Storage
    /// default would drop it after 7 days.
    /// </summary>
    public static readonly TimeSpan RequestTimeToLive = TimeSpan.FromSeconds(-1);

    /// <summary>The binding expressions of the trigger attributes.</summary>
    public const string PayoutsExpression = "%" + PayoutsSetting + "%";
    public const string PayinsExpression = "%" + PayinsSetting + "%";

    public const string DefaultPayouts = "paypro-payouts";
    public const string DefaultPayins = "paypro-payins";
    public const string DefaultEvents = "paypro-events";

    [ConfigurationKeyName(PayoutsSetting)]
    public string Payouts { get; set; } = DefaultPayouts;

    [ConfigurationKeyName(PayinsSetting)]
    public string Payins { get; set; } = DefaultPayins;

    [ConfigurationKeyName(EventsSetting)]
    public string Events { get; set; } = DefaultEvents;

    /// <summary>The queue where the host moves a message after its last failed delivery.</summary>
    public static string PoisonOf(string queue) => queue + PoisonSuffix;

    public const string PoisonSuffix = "-poison";

    /// <summary>
    /// Registers the queue names, checked at start-up, and <see cref="QueueNames"/> itself for the services that send or
    /// read: the app's, and the development host's, which resolves the same settings.
    /// </summary>
    internal static IServiceCollection Register(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<QueueNames>()
            .Bind(configuration)
            .PostConfigure(names =>
            {
                names.Payouts = OptionsRegistration.Text(names.Payouts) ?? DefaultPayouts;
                names.Payins = OptionsRegistration.Text(names.Payins) ?? DefaultPayins;
                names.Events = OptionsRegistration.Text(names.Events) ?? DefaultEvents;
            })
            .ValidatedBy<QueueNames, QueueNamesValidator>();
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<QueueNames>>().Value);
        return services;
    }

    /// <summary>Why <paramref name="name"/> is not a queue name the app can use, or null when it is.</summary>
    public static string? ErrorOf(string name, string setting) =>
        // Storage queue names: 3-63 lowercase letters, digits and single dashes; "-poison" must still fit.
        string.IsNullOrEmpty(name) || name.Length is < 3 or > 56 || name[0] == '-' || name[^1] == '-'
            || name.Contains("--", StringComparison.Ordinal)
            || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            ? $"{setting} '{name}' is not a valid queue name: 3-56 lowercase letters, digits and single dashes"
                + " (the '-poison' queue must fit in 63)."
            : null;

    /// <exception cref="InvalidOperationException"><paramref name="name"/> is not a queue name the app can use.</exception>
    public static void Validate(string name, string setting)
    {
        if (ErrorOf(name, setting) is { } error)
        {
            throw new InvalidOperationException(error);
        }
    }

    /// <summary>Checked by hand: the message says the name it got, which an annotation cannot.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        new[] { ErrorOf(Payouts, PayoutsSetting), ErrorOf(Payins, PayinsSetting), ErrorOf(Events, EventsSetting) }
            .OfType<string>()
            .Select(error => new ValidationResult(error));
}

[OptionsValidator]
internal sealed partial class QueueNamesValidator : IValidateOptions<QueueNames>;
