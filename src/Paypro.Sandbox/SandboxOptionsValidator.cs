using Microsoft.Extensions.Options;

namespace Paypro.Sandbox;

/// <summary>Checks the settings at start, naming the setting and never quoting the secret.</summary>
internal sealed class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static List<string> Check(SandboxOptions options)
    {
        const string Prefix = SandboxOptions.SectionName + ":";
        var failures = new List<string>();
        if (!PayproValidation.IsMerchantNo(options.MerchantNo))
        {
            failures.Add($"{Prefix}MerchantNo must be 10 digits.");
        }
        if (string.IsNullOrEmpty(options.AppSecret))
        {
            failures.Add($"{Prefix}AppSecret must not be empty.");
        }
        if (!Enum.IsDefined(options.SaltPosition))
        {
            failures.Add($"{Prefix}SaltPosition must be Append or Prepend.");
        }
        if (!double.IsFinite(options.TimeScale) || options.TimeScale <= 0 || options.TimeScale > 1000)
        {
            failures.Add($"{Prefix}TimeScale must be above 0 and at most 1000 (0.001 turns seconds into milliseconds).");
        }
        CheckUrl(options.DefaultNotifyUrl, $"{Prefix}DefaultNotifyUrl", failures);
        CheckUrl(options.NotifyUrlOverride, $"{Prefix}NotifyUrlOverride", failures);
        if (options.InitialBalance < 0)
        {
            failures.Add($"{Prefix}InitialBalance must not be negative.");
        }
        if (options.SuccessDelay < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}SuccessDelay must not be negative.");
        }
        if (options.LongProcessingDelay < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}LongProcessingDelay must not be negative.");
        }
        if (options.CallbackTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}CallbackTimeout must be positive.");
        }
        if (options.BalancePath is not { Length: > 1 } path || path[0] != '/' || path.Contains('?') || path.Contains('{')
            || SandboxPaths.Fixed.Contains(path, StringComparer.OrdinalIgnoreCase)
            || path.StartsWith("/_sandbox", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{Prefix}BalancePath must be a path such as /api/balance that no other endpoint uses.");
        }
        for (var i = 0; i < (options.Faults?.Count ?? 0); i++)
        {
            if (options.Faults![i]?.Validate($"{Prefix}Faults:{i}") is { } error)
            {
                failures.Add(error);
            }
        }
        return failures;
    }

    internal static bool IsNotifyUrl(string? url) => PayproValidation.TryParseNotifyUrl(url, out _);

    private static void CheckUrl(string? url, string setting, List<string> failures)
    {
        if (url is not null && !IsNotifyUrl(url))
        {
            failures.Add($"{setting} must be an absolute http or https URL.");
        }
    }
}
