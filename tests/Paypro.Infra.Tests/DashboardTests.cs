using System.Text.Json;

namespace Paypro.Infra.Tests;

/// <summary>The payments dashboard: an Azure Monitor workbook over the app's Application Insights, deployed with the app.</summary>
[Collection(InfraCollection.Name)]
public sealed class DashboardTests(InfraFixture fixture)
{
    private ArmResource Workbook => fixture.Template.Single("Microsoft.Insights/workbooks");

    [Fact]
    public void The_workbook_is_shared_and_reads_the_apps_application_insights()
    {
        Assert.Equal("shared", Workbook.Get("kind").GetString());
        Assert.Equal("workbook", Workbook.Get("properties.category").GetString());
        Assert.Contains("Microsoft.Insights/components", Workbook.Get("properties.sourceId").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_workbook_has_a_query_panel_for_each_question_a_payments_team_asks()
    {
        using var workbook = LoadWorkbook();

        Assert.Equal("Notebook/1.0", workbook.RootElement.GetProperty("version").GetString());
        var titles = workbook.RootElement.GetProperty("items").EnumerateArray()
            .Where(item => item.GetProperty("type").GetInt32() == 3)
            .Select(item => item.GetProperty("content").GetProperty("title").GetString())
            .ToList();
        Assert.Equal(
            [
                "Payouts and payins by final state", "Success rate", "Paypro latency percentiles", "Callback verdicts",
                "Stuck transactions and anomalies", "Poison queue depth", "Oldest pending transaction", "Daily reconciliation",
                "Payouts held", "Amount held (KES)", "Cleared per Kenya day against the day limits", "Holds by limit and how they ended",
                "Alert markers in the log",
            ],
            titles);
    }

    [Fact]
    public void The_money_controls_panels_read_the_held_and_day_limit_metrics()
    {
        using var workbook = LoadWorkbook();
        var queries = workbook.RootElement.GetProperty("items").EnumerateArray()
            .Where(item => item.GetProperty("type").GetInt32() == 3)
            .ToDictionary(
                item => item.GetProperty("content").GetProperty("title").GetString()!,
                item => item.GetProperty("content").GetProperty("query").GetString()!);

        Assert.Contains("name == \"paypro.payouts.held_count\"", queries["Payouts held"], StringComparison.Ordinal);
        Assert.Contains("name == \"paypro.payouts.held_amount\"", queries["Amount held (KES)"], StringComparison.Ordinal);
        var day = queries["Cleared per Kenya day against the day limits"];
        Assert.Contains("name in (\"paypro.payouts.day_cleared\", \"paypro.payouts.day_limit\")", day, StringComparison.Ordinal);
        Assert.Contains("customDimensions[\"measure\"]", day, StringComparison.Ordinal);
        // Kenya days are UTC+3.
        Assert.Contains("startofday(timestamp + 3h)", day, StringComparison.Ordinal);
        var holds = queries["Holds by limit and how they ended"];
        Assert.Contains("name in (\"paypro.payouts.held\", \"paypro.payouts.holds_ended\")", holds, StringComparison.Ordinal);
        Assert.Contains("customDimensions[\"limit\"]", holds, StringComparison.Ordinal);
        Assert.Contains("customDimensions[\"outcome\"]", holds, StringComparison.Ordinal);
        Assert.Contains("\"PAYPRO_PAYOUT_HELD\"", queries["Alert markers in the log"], StringComparison.Ordinal);
    }

    /// <summary>The workbook as the template deploys it.</summary>
    private JsonDocument LoadWorkbook()
    {
        // Bicep's loadTextContent becomes a template variable that serializedData names.
        var expression = Workbook.Get("properties.serializedData").GetString()!;
        var variable = System.Text.RegularExpressions.Regex.Match(expression, @"^\[variables\('([^']+)'\)\]$").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(variable), $"serializedData is {expression}, not the loaded workbook file");
        return JsonDocument.Parse(Workbook.Scope.Template.GetProperty("variables").GetProperty(variable).GetString()!);
    }
}
