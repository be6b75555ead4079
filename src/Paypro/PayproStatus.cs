namespace Paypro;

/// <summary>What a Paypro transaction status means for the merchant.</summary>
public enum PayproStatusKind
{
    /// <summary><c>0000</c>: the money moved.</summary>
    Succeeded,

    /// <summary><c>0015</c>: still processing; ask again later.</summary>
    Processing,

    /// <summary>Any other status: Paypro says every other code can be treated as a failure.</summary>
    Failed,
}

/// <summary>Paypro's transaction status codes (<c>data.status</c>, notify <c>status</c>). Compared as strings.</summary>
public static class PayproStatus
{
    public const string Success = "0000";
    public const string Processing = "0015";

    /// <summary>Request-level <c>code</c> meaning the request was accepted (not that the transaction succeeded).</summary>
    public const string RequestAccepted = "0000";

    /// <summary>Request-level <c>code</c> for a system exception: the order is not failed; query again.</summary>
    public const string SystemException = "5000";

    /// <summary>Request-level <c>code</c> for an order error: a failure on a create call, not on a query.</summary>
    public const string OrderError = "8000";

    public static PayproStatusKind Classify(string status) => status switch
    {
        Success => PayproStatusKind.Succeeded,
        Processing => PayproStatusKind.Processing,
        _ => PayproStatusKind.Failed,
    };
}
