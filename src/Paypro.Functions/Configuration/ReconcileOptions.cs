using System.Globalization;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Configuration;

/// <summary>
/// Settings of the daily reconciliation with Paypro (section <c>Reconcile</c>); its schedule is <c>ReconcileSchedule</c>.
/// </summary>
public sealed class ReconcileOptions
{
    public const string SectionName = "Reconcile";

    /// <summary>
    /// Status queries in flight at once during a reconciliation run: its own ceiling, beside Poll:MaxConcurrency. Both can run
    /// at the same time, so Paypro sees at most their sum.
    /// </summary>
    [SettingRange(1, 64, ErrorMessage = "Reconcile:MaxConcurrency must be between 1 and 64.")]
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>
    /// A run stops starting queries after this long; the next run goes on where it stopped. Shorter than the host's
    /// hard stop, as the poll's.
    /// </summary>
    public TimeSpan TimeBudget { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>
    /// Which Kenya days each run checks, as days before today (Kenya time), comma-separated: <c>1</c> is the day just ended,
    /// <c>8</c> the same weekday a week earlier, checked again so that a late reversal is still seen.
    /// </summary>
    public string Days { get; set; } = "1,8";

    /// <summary>The longest a day can lie back: audit retention's shortest setting.</summary>
    public const int MaxDaysBack = 30;

    /// <summary><see cref="Days"/> read: ascending, each once. Throws on a malformed value (the validator says so at start-up).</summary>
    public IReadOnlyList<int> DaysBack =>
        TryParseDays(Days, out var days, out var error) ? days : throw new InvalidOperationException(error);

    public static bool TryParseDays(string? text, out IReadOnlyList<int> days, out string? error)
    {
        var parsed = new SortedSet<int>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var day) || day is < 1 or > MaxDaysBack)
            {
                days = [];
                error = $"Reconcile:Days must list days before today, each a whole number from 1 (the day just ended)"
                    + $" to {MaxDaysBack}, comma-separated"
                    + $" (for example 1,8); got '{text}'.";
                return false;
            }
            parsed.Add(day);
        }
        if (parsed.Count == 0)
        {
            days = [];
            error = "Reconcile:Days must name at least one day (for example 1,8); to turn reconciliation off, disable the function"
                + " (AzureWebJobs.ReconcileTransactions.Disabled).";
            return false;
        }
        days = [.. parsed];
        error = null;
        return true;
    }
}

/// <summary>The annotations of <see cref="ReconcileOptions"/>, run first by <see cref="ReconcileOptionsValidator"/>.</summary>
[OptionsValidator]
internal sealed partial class ReconcileOptionsAnnotations : IValidateOptions<ReconcileOptions>;

/// <summary>
/// The annotations, then the days and the time budget, written by hand: the days are a parse, and the budget is checked
/// against host.json's timeout.
/// </summary>
internal sealed class ReconcileOptionsValidator(FunctionTimeout functionTimeout) : IValidateOptions<ReconcileOptions>
{
    private static readonly ReconcileOptionsAnnotations Annotations = new();

    public ValidateOptionsResult Validate(string? name, ReconcileOptions options)
    {
        var failures = new List<string>(Annotations.Validate(name, options).Failures ?? []);
        if (!ReconcileOptions.TryParseDays(options.Days, out _, out var error))
        {
            failures.Add(error!);
        }
        if (options.TimeBudget <= TimeSpan.Zero)
        {
            failures.Add("Reconcile:TimeBudget must be a positive time span (for example 00:04:00).");
        }
        if (functionTimeout.HardStop is { } hardStop && options.TimeBudget >= hardStop)
        {
            failures.Add($"Reconcile:TimeBudget ({options.TimeBudget:c}) must be shorter than host.json's functionTimeout"
                + $" ({functionTimeout.Value:c}) less a tenth"
                + $" (at most 30 s): the run cancels the queries still running at {hardStop:c}, before the host would.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
