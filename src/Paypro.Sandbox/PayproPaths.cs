namespace Paypro.Sandbox;

/// <summary>Paypro Kenya's paths, relative to the base URL. The balance path is a setting.</summary>
public static class PayproPaths
{
    public const string Payin = "/api/payin";
    public const string PayinConsole = "/api/payinConsole";
    public const string Payout = "/api/payout";
    public const string QueryPayinResult = "/api/queryPayinResult";
    public const string QueryPayoutResult = "/api/queryPayOutResult";
    public const string QueryResultByCode = "/api/queryResultByCode";

    internal static readonly string[] Fixed = [Payin, PayinConsole, Payout, QueryPayinResult, QueryPayoutResult, QueryResultByCode];

    internal static bool IsCreate(string endpoint) => endpoint is Payin or PayinConsole or Payout;
}
