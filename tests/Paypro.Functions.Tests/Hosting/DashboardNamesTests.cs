using System.Text.Json;
using System.Text.RegularExpressions;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>
/// Every metric, span and log marker the dashboard's queries name is one the app emits, so a rename cannot leave
/// a panel silently blank.
/// </summary>
public sealed partial class DashboardNamesTests
{
    private static readonly string[] Queries = LoadQueries();

    [Fact]
    public void Every_metric_the_dashboard_queries_is_one_the_app_emits()
    {
        var emitted = FunctionsMetrics.Names.Append(PayproTelemetry.CallDurationName).ToHashSet(StringComparer.Ordinal);
        var named = Queries.SelectMany(query => MetricNames().Matches(query).Select(m => m.Groups[1].Value))
            .Concat(Queries.SelectMany(query => MetricLists().Matches(query)
                .SelectMany(m => Quoted().Matches(m.Groups[1].Value).Select(q => q.Groups[1].Value))))
            .Distinct()
            .ToList();

        Assert.True(named.Count >= 7, $"the dashboard names only {named.Count} metrics");
        Assert.All(named, name => Assert.Contains(name, emitted));
    }

    [Fact]
    public void Every_log_marker_and_span_name_the_dashboard_queries_is_one_the_app_writes()
    {
        // The markers are the event names of the app's log entries: one constant each, in LogMarkers.
        var written = typeof(LogMarkers).GetFields()
            .Where(field => field.IsLiteral)
            .Select(field => (string)field.GetRawConstantValue()!)
            .ToList();
        var markers = Queries.SelectMany(query => Markers().Matches(query).Select(m => m.Value)).Distinct().ToList();

        Assert.NotEmpty(markers);
        Assert.All(markers, marker => Assert.Contains(marker, written));
        // The latency panel reads the client spans, whose names are "paypro " + the endpoint path.
        Assert.Contains(Queries, query => query.Contains("name startswith \"paypro /api/\"", StringComparison.Ordinal));
        Assert.StartsWith("paypro /api/", "paypro " + PayproPaths.Payout, StringComparison.Ordinal);
    }

    private static string[] LoadQueries()
    {
        using var workbook = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra-bicep", "dashboard", "paypro-workbook.json")));
        return [.. workbook.RootElement.GetProperty("items").EnumerateArray()
            .Where(item => item.GetProperty("type").GetInt32() == 3)
            .Select(item => item.GetProperty("content").GetProperty("query").GetString()!)];
    }

    [GeneratedRegex("name == \"([a-z_.]+)\"")]
    private static partial Regex MetricNames();

    [GeneratedRegex("""name in \(([^)]*)\)""")]
    private static partial Regex MetricLists();

    [GeneratedRegex("\"([a-z_.]+)\"")]
    private static partial Regex Quoted();

    [GeneratedRegex("PAYPRO_[A-Z_]+")]
    private static partial Regex Markers();
}
