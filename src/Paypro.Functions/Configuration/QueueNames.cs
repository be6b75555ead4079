namespace Paypro.Functions.Configuration;

/// <summary>
/// The queue names. These are flat settings (no section) because the trigger attributes name them as
/// <c>%PayoutsQueueName%</c>: the host resolves binding expressions against plain names. The timer schedules are
/// <see cref="TimerSchedules"/>.
/// </summary>
public sealed class QueueNames
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

    public required string Payouts { get; init; }
    public required string Payins { get; init; }
    public required string Events { get; init; }

    /// <summary>The queue where the host moves a message after its last failed delivery.</summary>
    public static string PoisonOf(string queue) => queue + PoisonSuffix;

    public const string PoisonSuffix = "-poison";

    public static QueueNames From(IConfiguration configuration) => new()
    {
        Payouts = Read(configuration, PayoutsSetting, DefaultPayouts),
        Payins = Read(configuration, PayinsSetting, DefaultPayins),
        Events = Read(configuration, EventsSetting, DefaultEvents),
    };

    public static void Validate(string name, string setting)
    {
        // Storage queue names: 3-63 lowercase letters, digits and single dashes; "-poison" must still fit.
        if (string.IsNullOrEmpty(name) || name.Length is < 3 or > 56 || name[0] == '-' || name[^1] == '-'
            || name.Contains("--", StringComparison.Ordinal)
            || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new InvalidOperationException(
                $"{setting} '{name}' is not a valid queue name: 3-56 lowercase letters, digits and single dashes"
                    + " (the '-poison' queue must fit in 63).");
        }
    }

    private static string Read(IConfiguration configuration, string setting, string fallback)
    {
        var value = configuration[setting];
        var name = string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
        Validate(name, setting);
        return name;
    }
}
