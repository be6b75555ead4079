namespace Paypro;

/// <summary>
/// Paypro Kenya's endpoint paths, relative to <see cref="PayproClientOptions.BaseUrl"/>, named after
/// the paths themselves. The balance path is a setting (<see cref="PayproClientOptions.BalancePath"/>).
/// </summary>
public static class PayproPaths
{
    public const string Payin = "/api/payin";
    public const string PayinConsole = "/api/payinConsole";
    public const string Payout = "/api/payout";
    public const string QueryPayinResult = "/api/queryPayinResult";
    public const string QueryPayoutResult = "/api/queryPayOutResult";
    public const string QueryResultByCode = "/api/queryResultByCode";

    /// <summary>The header every request carries: the merchant's 10-digit id.</summary>
    public const string MerchantNoHeader = "merchantNo";
}
