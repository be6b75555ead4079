using System.Globalization;
using System.Text;

namespace Paypro.Load;

/// <summary>How a measurement stands against its budget.</summary>
public enum Verdict
{
    /// <summary>A figure without a budget of its own.</summary>
    Info,

    Met,

    Missed,

    /// <summary>Has a budget, but a smoke run is too small to judge it (timings of a few dozen operations).</summary>
    NotJudged,
}

/// <summary>One summary line.</summary>
public sealed record Measurement(string Scenario, string Name, string Value, string? Budget, Verdict Verdict, string? Note);

/// <summary>The summary of a run: one line per measurement, printed as it is taken and again at the end.</summary>
public sealed class Report
{
    private readonly List<Measurement> _measurements = [];
    private readonly List<string> _failures = [];

    public IReadOnlyList<Measurement> Measurements => _measurements;

    /// <summary>Scenarios that could not run to the end (setup failed, or an error), with why.</summary>
    public IReadOnlyList<string> Failures => _failures;

    public bool AnyMissed => _measurements.Any(m => m.Verdict == Verdict.Missed);

    /// <summary>Adds a figure and prints its line.</summary>
    public void Add(string scenario, string name, string value, string? budget = null, Verdict verdict = Verdict.Info, string? note = null)
    {
        var measurement = new Measurement(scenario, name, value, budget, verdict, note);
        lock (_measurements)
        {
            _measurements.Add(measurement);
        }
        Console.WriteLine("RESULT " + Line(measurement));
    }

    /// <summary>
    /// Adds a figure with a budget: met when <paramref name="met"/>, otherwise missed (or not judged in a smoke run when
    /// <paramref name="judged"/> is false).
    /// </summary>
    public void Budget(string scenario, string name, string value, string budget, bool met, bool judged = true, string? note = null) =>
        Add(scenario, name, value, budget, !judged ? Verdict.NotJudged : met ? Verdict.Met : Verdict.Missed, note);

    public void Fail(string scenario, string reason)
    {
        lock (_failures)
        {
            _failures.Add($"{scenario}: {reason}");
        }
        Console.WriteLine($"RESULT {scenario}: FAILED: {reason}");
    }

    public static string Line(Measurement m)
    {
        var text = new StringBuilder($"{m.Scenario} {m.Name}: {m.Value}");
        if (m.Budget is not null)
        {
            text.Append($" | budget {m.Budget}: {VerdictText(m.Verdict)}");
        }
        if (m.Note is not null)
        {
            text.Append($" ({m.Note})");
        }
        return text.ToString();
    }

    public static string VerdictText(Verdict verdict) => verdict switch
    {
        Verdict.Met => "met",
        Verdict.Missed => "MISSED",
        Verdict.NotJudged => "not judged in a smoke run",
        _ => "",
    };

    public void PrintSummary(TextWriter writer)
    {
        writer.WriteLine();
        writer.WriteLine("== summary ==");
        foreach (var measurement in _measurements)
        {
            writer.WriteLine(Line(measurement));
        }
        foreach (var failure in _failures)
        {
            writer.WriteLine($"FAILED {failure}");
        }
        var budgets = _measurements.Count(m => m.Budget is not null);
        writer.WriteLine(
            $"budgets: {_measurements.Count(m => m.Verdict == Verdict.Met)} met, " +
            $"{_measurements.Count(m => m.Verdict == Verdict.Missed)} missed, " +
            $"{_measurements.Count(m => m.Verdict == Verdict.NotJudged)} not judged, of {budgets}; scenarios failed: {_failures.Count}");
    }

    /// <summary>The summary as a Markdown table, for docs/performance.md.</summary>
    public void WriteMarkdown(string path, string header)
    {
        var text = new StringBuilder();
        text.AppendLine(header);
        text.AppendLine();
        text.AppendLine("| scenario | measurement | value | budget | verdict |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var m in _measurements)
        {
            var verdict = VerdictText(m.Verdict) + (m.Note is null ? "" : (m.Verdict == Verdict.Info ? "" : ": ") + m.Note);
            text.AppendLine(
                CultureInfo.InvariantCulture,
                $"| {m.Scenario} | {m.Name} | {Cell(m.Value)} | {Cell(m.Budget ?? "")} | {Cell(verdict)} |");
        }
        foreach (var failure in _failures)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {Cell(failure)} | | | | FAILED |");
        }
        File.WriteAllText(path, text.ToString());
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}

/// <summary>Small statistics over measured values.</summary>
public static class Stats
{
    /// <summary>Nearest-rank percentile of sorted values; 0 gives the minimum, 100 the maximum; NaN when there are none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percentile)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static string Ms(double value) => Ms(value, "0");

    public static string Ms(double value, string format) =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture) + " ms";

    public static string Seconds(TimeSpan value) => Seconds(value, "0.0");

    public static string Seconds(TimeSpan value, string format) =>
        value.TotalSeconds.ToString(format, CultureInfo.InvariantCulture) + " s";

    public static string Number(double value, string format = "0") =>
        double.IsNaN(value) || double.IsInfinity(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    public static string Describe(IReadOnlyDictionary<string, int> counts) =>
        counts.Count == 0
            ? "none"
            : string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"));
}
