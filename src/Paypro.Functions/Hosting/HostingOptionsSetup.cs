using System.Globalization;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Hosting;

/// <summary>
/// Reads <see cref="HostingOptions"/> from configuration by hand (no reflection binder, so the app stays
/// AOT-publishable), resolves <see cref="HostingMode.Auto"/> and validates the result at start-up.
/// </summary>
internal sealed class HostingOptionsSetup(IConfiguration configuration) :
    IConfigureOptions<HostingOptions>, IPostConfigureOptions<HostingOptions>, IValidateOptions<HostingOptions>
{
    internal static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    public void Configure(HostingOptions options)
    {
        var section = configuration.GetSection(HostingOptions.SectionName);
        var errors = options.ConfigurationErrors;

        if (section["Mode"] is { Length: > 0 } mode)
        {
            if (Enum.TryParse<HostingMode>(mode.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !char.IsAsciiDigit(mode.Trim()[0]))
            {
                options.Mode = parsed;
            }
            else
            {
                errors.Add($"Hosting:Mode (Hosting__Mode) must be Auto, FunctionsHost or SelfHosted; got '{mode}'.");
            }
        }

        if (section["FunctionKey"] is { } key)
        {
            options.FunctionKey = key.Length == 0 ? null : key;
        }

        if (section["MaxDequeueCount"] is { Length: > 0 } dequeue)
        {
            if (int.TryParse(dequeue.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count))
            {
                options.MaxDequeueCount = count;
            }
            else
            {
                errors.Add($"Hosting:MaxDequeueCount (Hosting__MaxDequeueCount) must be a whole number; got '{dequeue}'.");
            }
        }

        ReadTimeSpan(section, "VisibilityTimeout", errors, value => options.VisibilityTimeout = value);
        ReadTimeSpan(section, "MaxPollingInterval", errors, value => options.MaxPollingInterval = value);

        if (configuration[HostingOptions.CustomHandlerPortVariable] is { Length: > 0 } port)
        {
            if (int.TryParse(port.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number <= 65535)
            {
                options.CustomHandlerPort = number;
            }
            else
            {
                errors.Add($"{HostingOptions.CustomHandlerPortVariable} must be a TCP port number; got '{port}'.");
            }
        }
    }

    public void PostConfigure(string? name, HostingOptions options)
    {
        if (options.Mode == HostingMode.Auto)
        {
            options.Mode = options.CustomHandlerPort is null ? HostingMode.SelfHosted : HostingMode.FunctionsHost;
        }
    }

    public ValidateOptionsResult Validate(string? name, HostingOptions options)
    {
        var errors = new List<string>(options.ConfigurationErrors);
        if (options.Mode == HostingMode.FunctionsHost && options.CustomHandlerPort is null)
        {
            errors.Add($"Hosting:Mode is FunctionsHost but {HostingOptions.CustomHandlerPortVariable} is not set: the Functions host sets it when it starts the app. Set Hosting__Mode=SelfHosted (or Auto) to run without the host.");
        }
        if (options.MaxDequeueCount is < 1 or > 1000)
        {
            errors.Add($"Hosting:MaxDequeueCount (Hosting__MaxDequeueCount) must be between 1 and 1000; got {options.MaxDequeueCount}.");
        }
        // Queue storage accepts a visibility timeout of at most 7 days; a lease of zero would let a second
        // listener take a message that is still being processed.
        if (options.VisibilityTimeout < TimeSpan.FromSeconds(1) || options.VisibilityTimeout > TimeSpan.FromDays(7))
        {
            errors.Add($"Hosting:VisibilityTimeout (Hosting__VisibilityTimeout) must be between 00:00:01 and 7.00:00:00; got {options.VisibilityTimeout:c}.");
        }
        if (options.MaxPollingInterval < MinPollingInterval || options.MaxPollingInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Hosting:MaxPollingInterval (Hosting__MaxPollingInterval) must be between 00:00:00.1 and 00:10:00; got {options.MaxPollingInterval:c}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ReadTimeSpan(IConfigurationSection section, string key, List<string> errors, Action<TimeSpan> set)
    {
        if (section[key] is not { Length: > 0 } text)
        {
            return;
        }
        if (TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var value))
        {
            set(value);
        }
        else
        {
            errors.Add($"Hosting:{key} (Hosting__{key}) must be a time span such as 00:00:30; got '{text}'.");
        }
    }
}
