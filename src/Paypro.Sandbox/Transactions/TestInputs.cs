using System.Text.RegularExpressions;

namespace Paypro.Sandbox.Transactions;

/// <summary>What a transaction does, chosen by the last two digits of its mobile number.</summary>
internal enum TestOutcome
{
    /// <summary>Any other ending: processing, then success after <see cref="SandboxOptions.SuccessDelay"/>.</summary>
    Success,

    /// <summary>11: processing, then 00029 REJECTED_TRANSACTION.</summary>
    Rejected,

    /// <summary>12 (or a payout above the available balance): processing, then 00031 INSUFFICIENT_BALANCE.</summary>
    InsufficientBalance,

    /// <summary>13: processing for <see cref="SandboxOptions.LongProcessingDelay"/>, then success.</summary>
    LongProcessing,

    /// <summary>14: refused with request-level 8000, not executed.</summary>
    Refused,

    /// <summary>15: request-level 5000, not executed.</summary>
    SystemError,

    /// <summary>16: the create answer already says 0000.</summary>
    ImmediateSuccess,
}

/// <summary>The sandbox's documented test inputs and the statuses they lead to.</summary>
internal static partial class TestInputs
{
    public const string SuccessMessage = "SUCCESS";
    public const string ProcessingMessage = "PROCESSING";
    public const string Rejected = "00029";
    public const string RejectedMessage = "REJECTED_TRANSACTION";
    public const string InsufficientBalance = "00031";
    public const string InsufficientBalanceMessage = "INSUFFICIENT_BALANCE";

    /// <summary>The outcome for a mobile number; checkout payins have none and succeed.</summary>
    public static TestOutcome For(string? mobile) => mobile is { Length: >= 2 } ? mobile[^2..] switch
    {
        "11" => TestOutcome.Rejected,
        "12" => TestOutcome.InsufficientBalance,
        "13" => TestOutcome.LongProcessing,
        "14" => TestOutcome.Refused,
        "15" => TestOutcome.SystemError,
        "16" => TestOutcome.ImmediateSuccess,
        _ => TestOutcome.Success,
    } : TestOutcome.Success;

    /// <summary>The final status and message an executed outcome ends with.</summary>
    public static (string Status, string Message) FinalOf(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Rejected => (Rejected, RejectedMessage),
        TestOutcome.InsufficientBalance => (InsufficientBalance, InsufficientBalanceMessage),
        _ => (PayproStatus.Success, SuccessMessage),
    };

    /// <summary>What a status set by hand must look like: 4 or 5 digits, and final (not 0015).</summary>
    public const string FinalStatusRule =
        "status must be a final status: 0000 for success, or a failure such as 00029 (4 or 5 digits, not 0015).";

    [GeneratedRegex(@"^\d{4,5}$", RegexOptions.CultureInvariant)]
    private static partial Regex StatusShape();

    public static bool IsFinalStatus(string? status) =>
        status is not null && StatusShape().IsMatch(status) && status != PayproStatus.Processing;

    /// <summary>The usual message for a status set by hand.</summary>
    public static string MessageOf(string status) => status switch
    {
        PayproStatus.Success => SuccessMessage,
        PayproStatus.Processing => ProcessingMessage,
        Rejected => RejectedMessage,
        InsufficientBalance => InsufficientBalanceMessage,
        _ => "FAILED",
    };
}
