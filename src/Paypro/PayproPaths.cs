namespace Paypro;

/// <summary>Paypro Kenya's endpoint paths, relative to <see cref="PayproClientOptions.BaseUrl"/>.</summary>
public static class PayproPaths
{
    public const string Payin = "/api/payin";
    public const string Checkout = "/api/payinConsole";
    public const string Payout = "/api/payout";
    public const string QueryPayin = "/api/queryPayinResult";
    public const string QueryPayout = "/api/queryPayOutResult";
    public const string QueryByMpesaCode = "/api/queryResultByCode";

    /// <summary>The header every request carries: the merchant's 10-digit id.</summary>
    public const string MerchantNoHeader = "merchantNo";
}
