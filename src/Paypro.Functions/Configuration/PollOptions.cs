using Microsoft.Extensions.Options;

namespace Paypro.Functions.Configuration;

/// <summary>Settings of the poller and of follow-up checks (section <c>Poll</c>).</summary>
public sealed class PollOptions
{
    public const string SectionName = "Poll";

    /// <summary>Queries to Paypro in flight at once during a poll: the ceiling of what one run asks of Paypro.</summary>
    [SettingRange(1, 64, ErrorMessage = "Poll:MaxConcurrency must be between 1 and 64.")]
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>
    /// A poll stops starting new checks (and reading more due entries) after this long. It must end before host.json's
    /// functionTimeout less a tenth (at most 30 s): there the poll cancels the checks still running (see <see cref="FunctionTimeout"/>).
    /// </summary>
    public TimeSpan TimeBudget { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>
    /// Due entries read at once. A poll keeps reading batches until every entry that was due when it started
    /// has been taken or <see cref="TimeBudget"/> is spent, so this sets the size of one read, not the work of a run.
    /// </summary>
    [SettingRange(1, 5000, ErrorMessage = "Poll:BatchSize must be between 1 and 5000.")]
    public int BatchSize { get; set; } = 500;

    /// <summary>First check after a submission; later checks back off exponentially from here.</summary>
    public TimeSpan FirstCheckAfter { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long after sending Paypro may still not know a tradeNo before it is failed as never sent.</summary>
    public TimeSpan UnknownGracePeriod { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// "Paypro does not know this tradeNo" counts as evidence that a transaction was never sent only while a status query
    /// under the same credentials found a transaction within this window (see <see cref="Transactions.QueryChannel"/>).
    /// </summary>
    public TimeSpan QueryChannelWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A transaction pending longer than this is flagged as stuck (log, metric, event).</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromHours(6);
}

/// <summary>The annotations of <see cref="PollOptions"/>, run first by <see cref="PollOptionsValidator"/>.</summary>
[OptionsValidator]
internal sealed partial class PollOptionsAnnotations : IValidateOptions<PollOptions>;

/// <summary>
/// The annotations, then the time spans and how they relate, written by hand: a range annotation cannot say "positive" for a
/// TimeSpan without an upper bound, nor compare two settings, and two checks need host.json's timeout and the client's settings.
/// </summary>
internal sealed class PollOptionsValidator(
    IOptions<PayproClientOptions> paypro,
    FunctionTimeout functionTimeout) : IValidateOptions<PollOptions>
{
    /// <summary>
    /// How many create-call timeouts the grace period must span at least: a create call's answer can come up to
    /// Paypro:RequestTimeout after sending, and Paypro may take a moment more to know the tradeNo, so "not found" must not
    /// decide anything while a create answer may still be on its way.
    /// </summary>
    public const int GraceOverRequestTimeout = 4;

    private static readonly PollOptionsAnnotations Annotations = new();

    public ValidateOptionsResult Validate(string? name, PollOptions options)
    {
        var failures = new List<string>(Annotations.Validate(name, options).Failures ?? []);
        Positive(options.TimeBudget, "Poll:TimeBudget", failures);
        Positive(options.FirstCheckAfter, "Poll:FirstCheckAfter", failures);
        Positive(options.UnknownGracePeriod, "Poll:UnknownGracePeriod", failures);
        Positive(options.StuckAfter, "Poll:StuckAfter", failures);
        Positive(options.QueryChannelWindow, "Poll:QueryChannelWindow", failures);
        var requestTimeout = paypro.Value.RequestTimeout;
        if (requestTimeout > TimeSpan.Zero && options.UnknownGracePeriod < requestTimeout * GraceOverRequestTimeout)
        {
            failures.Add($"Poll:UnknownGracePeriod ({options.UnknownGracePeriod:c}) must be at least"
                + $" {GraceOverRequestTimeout} times Paypro:RequestTimeout"
                + $" ({requestTimeout:c}): a create call's answer may still arrive that long after sending.");
        }
        if (functionTimeout.HardStop is { } hardStop && options.TimeBudget >= hardStop)
        {
            failures.Add($"Poll:TimeBudget ({options.TimeBudget:c}) must be shorter than host.json's functionTimeout"
                + $" ({functionTimeout.Value:c}) less a tenth"
                + $" (at most 30 s): the poll cancels the checks still running at {hardStop:c}, before the host would.");
        }
        if (options.MaxBackoff < options.FirstCheckAfter)
        {
            failures.Add("Poll:MaxBackoff must be at least Poll:FirstCheckAfter.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(TimeSpan value, string setting, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{setting} must be a positive time span (for example 00:01:00).");
        }
    }
}
