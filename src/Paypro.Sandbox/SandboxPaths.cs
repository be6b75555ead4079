namespace Paypro.Sandbox;

/// <summary>The sandbox's view of Paypro's paths (<see cref="Paypro.PayproPaths"/>); the balance path is a setting.</summary>
internal static class SandboxPaths
{
    internal static readonly string[] Fixed =
    [
        PayproPaths.Payin, PayproPaths.PayinConsole, PayproPaths.Payout,
        PayproPaths.QueryPayinResult, PayproPaths.QueryPayoutResult, PayproPaths.QueryResultByCode,
    ];

    internal static bool IsCreate(string endpoint) => endpoint is PayproPaths.Payin or PayproPaths.PayinConsole or PayproPaths.Payout;
}
