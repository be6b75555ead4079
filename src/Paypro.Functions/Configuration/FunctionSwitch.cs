namespace Paypro.Functions.Configuration;

/// <summary>
/// The platform's switch for one function, the app setting <c>AzureWebJobs.&lt;FunctionName&gt;.Disabled</c> (<c>true</c> or
/// <c>1</c>), as the host reads it. The app reads it too where it must not act behind a paused function's back.
/// </summary>
public static class FunctionSwitch
{
    public static string SettingOf(string functionName) => $"AzureWebJobs.{functionName}.Disabled";

    public static bool IsDisabled(IConfiguration configuration, string functionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration[SettingOf(functionName)]?.Trim() is { } value && (bool.TryParse(value, out var disabled) ? disabled : value == "1");
    }
}
