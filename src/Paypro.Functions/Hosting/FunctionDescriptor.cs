using System.Buffers;
using NCrontab;

namespace Paypro.Functions.Hosting;

/// <summary>What the hosting layer knows about a registered queue or timer function.</summary>
internal abstract class FunctionDescriptor
{
    // The host's rule for function names, which are also folder names and URL segments.
    private static readonly SearchValues<char> NameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

    protected FunctionDescriptor(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Length > 128 || !char.IsAsciiLetter(name[0]) || name.AsSpan().ContainsAnyExcept(NameChars))
        {
            throw new ArgumentException($"Function name '{name}' is invalid: up to 128 letters, digits, '_' or '-', starting with a letter.", "functionName");
        }
        Name = name;
    }

    public string Name { get; }

    /// <summary>The binding name of the trigger in function.json, and so the key of the trigger in the host's <c>Data</c>.</summary>
    public abstract string BindingName { get; }

    /// <summary>The setting function.json reads as <c>%Setting%</c>.</summary>
    public abstract string Setting { get; }

    protected static string Read(IConfiguration configuration, string setting, string fallback) =>
        configuration[setting] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : fallback;
}

internal sealed class QueueFunctionDescriptor(string name, string queueNameSetting, string defaultQueueName, Func<IServiceProvider, IQueueFunction> factory)
    : FunctionDescriptor(name)
{
    public const string TriggerBindingName = "message";

    public override string BindingName => TriggerBindingName;

    public override string Setting => queueNameSetting;

    public string DefaultQueueName => defaultQueueName;

    public IQueueFunction Create(IServiceProvider services) => factory(services);

    /// <summary>The queue the function listens on; fails with the setting's name when the value is not a queue name.</summary>
    public string ResolveQueueName(IConfiguration configuration)
    {
        var name = Read(configuration, queueNameSetting, defaultQueueName);
        ValidateQueueName(name, queueNameSetting);
        return name;
    }

    public static string PoisonQueueOf(string queueName) => queueName + "-poison";

    public static void ValidateQueueName(string name, string setting)
    {
        // Storage queue names: 3-63 lowercase letters, digits and single dashes; "-poison" must still fit.
        if (string.IsNullOrEmpty(name) || name.Length is < 3 or > 56 || name[0] == '-' || name[^1] == '-'
            || name.Contains("--", StringComparison.Ordinal) || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new InvalidOperationException($"{setting} '{name}' is not a valid queue name: 3-56 lowercase letters, digits and single dashes (the '-poison' queue must fit in 63).");
        }
    }
}

internal sealed class TimerFunctionDescriptor(string name, string scheduleSetting, string defaultSchedule, Func<IServiceProvider, ITimerFunction> factory)
    : FunctionDescriptor(name)
{
    public const string TriggerBindingName = "timer";

    public override string BindingName => TriggerBindingName;

    public override string Setting => scheduleSetting;

    public string DefaultSchedule => defaultSchedule;

    public ITimerFunction Create(IServiceProvider services) => factory(services);

    public CrontabSchedule ResolveSchedule(IConfiguration configuration) =>
        ParseSchedule(Read(configuration, scheduleSetting, defaultSchedule), scheduleSetting);

    public static CrontabSchedule ParseSchedule(string expression, string setting)
    {
        // The host's timer trigger takes six fields (seconds first); a five-field expression would parse
        // with a different meaning in other cron dialects, so it is refused rather than guessed.
        var schedule = string.IsNullOrWhiteSpace(expression)
            ? null
            : CrontabSchedule.TryParse(expression.Trim(), new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        return schedule ?? throw new InvalidOperationException(
            $"{setting} '{expression}' is not a six-field NCRONTAB schedule ('{{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}', for example '0 */1 * * * *').");
    }
}
