namespace Paypro.Sandbox.Tests.Infrastructure;

/// <summary>Mobile numbers for the sandbox's test inputs (the last two digits choose the outcome).</summary>
internal static class TestMobiles
{
    public const string Success = "254712345600";
    public const string Rejected = "254712345611";
    public const string InsufficientBalance = "254712345612";
    public const string LongProcessing = "254712345613";
    public const string Refused = "254712345614";
    public const string SystemError = "254712345615";
    public const string ImmediateSuccess = "254112345616";
}
