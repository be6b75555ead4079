using Microsoft.Extensions.Configuration;

namespace Paypro.Functions.Configuration;

/// <summary>
/// Queue names and the poll schedule. These are flat settings (no section) because function.json reads
/// them as <c>%PayoutsQueueName%</c>: the host resolves binding expressions against plain names.
/// </summary>
public sealed class QueueNames
{
    public const string PayoutsSetting = "PayoutsQueueName";
    public const string PayinsSetting = "PayinsQueueName";
    public const string EventsSetting = "EventsQueueName";
    public const string PollScheduleSetting = "PollSchedule";
    public const string DefaultPayouts = "paypro-payouts";
    public const string DefaultPayins = "paypro-payins";
    public const string DefaultEvents = "paypro-events";
    public const string DefaultPollSchedule = "0 */1 * * * *";

    public required string Payouts { get; init; }
    public required string Payins { get; init; }
    public required string Events { get; init; }

    /// <summary>The queue where a message that cannot be processed is moved, as the host does.</summary>
    public static string PoisonOf(string queue) => Hosting.QueueFunctionDescriptor.PoisonQueueOf(queue);

    public static QueueNames From(IConfiguration configuration) => new()
    {
        Payouts = Read(configuration, PayoutsSetting, DefaultPayouts),
        Payins = Read(configuration, PayinsSetting, DefaultPayins),
        Events = Read(configuration, EventsSetting, DefaultEvents),
    };

    private static string Read(IConfiguration configuration, string setting, string fallback)
    {
        var value = configuration[setting];
        var name = string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
        Hosting.QueueFunctionDescriptor.ValidateQueueName(name, setting);
        return name;
    }
}
