namespace Paypro.Functions.Transactions;

/// <summary>Where a result came from. Kept in the audit trail and the state-change log.</summary>
public enum ObservationSource
{
    CreateCall,
    Callback,
    Query,
}

/// <summary>A transaction result as Paypro reported it, in a create answer, a callback or a query.</summary>
public sealed record PayproObservation(
    ObservationSource Source,
    string Status,
    string? Message,
    string? PlatFormTradeNo,
    string? AmountText,
    decimal? Amount,
    DateTimeOffset? SuccessTimeUtc,
    string? MpesaReceiptNumber = null,
    string? SerialNumber = null)
{
    public PayproStatusKind Kind => PayproStatus.Classify(Status);

    public static PayproObservation FromNotification(PayproNotification notification) => new(
        ObservationSource.Callback,
        notification.Status,
        notification.Message,
        notification.PlatFormTradeNo,
        notification.AmountText,
        notification.Amount,
        notification.SuccessTimeUtc);

    public static PayproObservation FromQuery(PayproTransaction transaction) => new(
        ObservationSource.Query,
        transaction.Status,
        transaction.Message,
        transaction.PlatFormTradeNo,
        transaction.AmountText,
        transaction.Amount,
        transaction.SuccessTimeUtc,
        transaction.MpesaReceiptNumber);
}
