using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Configuration;

/// <summary>Settings of the poller and of follow-up checks (section <c>Poll</c>).</summary>
public sealed class PollOptions
{
    public const string SectionName = "Poll";

    /// <summary>Queries to Paypro in flight at once during a poll: the ceiling of what one run asks of Paypro.</summary>
    [Range(1, 64, ErrorMessage = "Poll:MaxConcurrency must be between 1 and 64.")]
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>A poll stops starting new checks (and reading more due entries) after this long, well before the function timeout.</summary>
    public TimeSpan TimeBudget { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>
    /// Due entries read at once. A poll keeps reading batches until every entry that was due when it started
    /// has been taken or <see cref="TimeBudget"/> is spent, so this sets the size of one read, not the work of a run.
    /// </summary>
    [Range(1, 5000, ErrorMessage = "Poll:BatchSize must be between 1 and 5000.")]
    public int BatchSize { get; set; } = 500;

    /// <summary>First check after a submission; later checks back off exponentially from here.</summary>
    public TimeSpan FirstCheckAfter { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long after sending Paypro may still not know a tradeNo before it is failed as never sent.</summary>
    public TimeSpan UnknownGracePeriod { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A transaction pending longer than this is flagged as stuck (log, metric, event).</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromHours(6);
}

[OptionsValidator]
internal sealed partial class PollOptionsAnnotationsValidator : IValidateOptions<PollOptions>;

/// <summary>
/// The time spans and how they relate, written by hand: a range annotation cannot say "positive" for a
/// TimeSpan without an upper bound, nor compare two settings.
/// </summary>
public sealed class PollOptionsValidator : IValidateOptions<PollOptions>
{
    public ValidateOptionsResult Validate(string? name, PollOptions options)
    {
        var failures = new List<string>();
        Positive(options.TimeBudget, "Poll:TimeBudget", failures);
        Positive(options.FirstCheckAfter, "Poll:FirstCheckAfter", failures);
        Positive(options.UnknownGracePeriod, "Poll:UnknownGracePeriod", failures);
        Positive(options.StuckAfter, "Poll:StuckAfter", failures);
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
