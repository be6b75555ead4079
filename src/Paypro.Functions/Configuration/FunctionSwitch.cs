namespace Paypro.Functions.Configuration;

/// <summary>
/// The platform's switch for one function, the app setting <c>AzureWebJobs.&lt;FunctionName&gt;.Disabled</c> (<c>true</c> or
/// <c>1</c>), as the worker sees it: the app reads it where it must not act behind a paused function's back. App settings
/// reach the worker as environment variables, and where a platform cannot carry a period in a variable's name it arrives
/// with underscores (<c>AzureWebJobs_&lt;FunctionName&gt;_Disabled</c>), so either spelling counts.
/// </summary>
internal static class FunctionSwitch
{
    public static string SettingOf(string functionName) => $"AzureWebJobs.{functionName}.Disabled";

    public static bool IsDisabled(IConfiguration configuration, string functionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return IsOn(configuration[SettingOf(functionName)]) || IsOn(configuration[SettingOf(functionName).Replace('.', '_')]);
    }

    /// <summary>Whether a value of the switch turns it on, as the host reads it: <c>true</c> (any case) or <c>1</c>.</summary>
    public static bool IsOn(string? setting) =>
        setting?.Trim() is { } value && (bool.TryParse(value, out var disabled) ? disabled : value == "1");
}
