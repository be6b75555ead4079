namespace Paypro;

/// <summary>Builds the result types of <see cref="PayproClient"/>, for tests of code that mocks the client.</summary>
public static class PayproModelFactory
{
    public static PayproCreateResult CreateResult(
        PayproOutcome outcome,
        string? code = null,
        string? msg = null,
        string? serialNumber = null,
        string? status = null,
        string? statusMessage = null,
        string? checkoutUrl = null,
        int? httpStatus = null,
        string? detail = null) => new()
        {
            Outcome = outcome,
            Code = code,
            Msg = msg,
            SerialNumber = serialNumber,
            Status = status,
            StatusMessage = statusMessage,
            CheckoutUrl = checkoutUrl,
            HttpStatus = httpStatus,
            Detail = detail,
        };

    public static PayproTransaction Transaction(
        string status,
        string? tradeNo = null,
        string? platFormTradeNo = null,
        decimal? amount = null,
        string? amountText = null,
        string? message = null,
        DateTimeOffset? successTimeUtc = null,
        string? mpesaReceiptNumber = null) => new()
        {
            Status = status,
            TradeNo = tradeNo,
            PlatFormTradeNo = platFormTradeNo,
            Amount = amount,
            AmountText = amountText ?? amount?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Message = message,
            SuccessTimeUtc = successTimeUtc,
            MpesaReceiptNumber = mpesaReceiptNumber,
        };

    public static PayproQueryResult QueryResult(
        PayproQueryOutcome outcome,
        PayproTransaction? transaction = null,
        string? code = null,
        string? msg = null,
        int? httpStatus = null,
        string? detail = null) => new()
        {
            Outcome = outcome,
            Transaction = transaction,
            Code = code,
            Msg = msg,
            HttpStatus = httpStatus,
            Detail = detail,
        };

    public static PayproBalanceResult BalanceResult(
        PayproQueryOutcome outcome,
        decimal? availableAmount = null,
        decimal? freezeAmount = null,
        decimal? unsettledAmount = null,
        string? code = null,
        string? msg = null,
        int? httpStatus = null,
        string? detail = null) => new()
        {
            Outcome = outcome,
            AvailableAmount = availableAmount,
            FreezeAmount = freezeAmount,
            UnsettledAmount = unsettledAmount,
            Code = code,
            Msg = msg,
            HttpStatus = httpStatus,
            Detail = detail,
        };
}
