namespace Paypro.Testing;

/// <summary>
/// Mobile numbers for the sandbox's test inputs: the last two digits choose what the sandbox does with a
/// transaction (src/Paypro.Sandbox/Transactions/TestInputs.cs).
/// </summary>
public static class TestMobiles
{
    /// <summary>Any other ending (00): processing, then success after the sandbox's SuccessDelay.</summary>
    public const string Success = "254712345600";

    /// <summary>11: processing, then 00029 REJECTED_TRANSACTION.</summary>
    public const string Rejected = "254712345611";

    /// <summary>12: processing, then 00031 INSUFFICIENT_BALANCE.</summary>
    public const string InsufficientBalance = "254712345612";

    /// <summary>13: processing for the sandbox's LongProcessingDelay, then success.</summary>
    public const string LongProcessing = "254712345613";

    /// <summary>14: refused with request-level 8000, not executed.</summary>
    public const string Refused = "254712345614";

    /// <summary>15: request-level 5000, not executed.</summary>
    public const string SystemError = "254712345615";

    /// <summary>16: the create answer already says 0000.</summary>
    public const string ImmediateSuccess = "254112345616";
}
