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
        // Bicep's loadTextContent becomes a template variable that serializedData names.
        var expression = Workbook.Get("properties.serializedData").GetString()!;
        var variable = System.Text.RegularExpressions.Regex.Match(expression, @"^\[variables\('([^']+)'\)\]$").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(variable), $"serializedData is {expression}, not the loaded workbook file");
        using var workbook = JsonDocument.Parse(Workbook.Scope.Template.GetProperty("variables").GetProperty(variable).GetString()!);

        Assert.Equal("Notebook/1.0", workbook.RootElement.GetProperty("version").GetString());
        var titles = workbook.RootElement.GetProperty("items").EnumerateArray()
            .Where(item => item.GetProperty("type").GetInt32() == 3)
            .Select(item => item.GetProperty("content").GetProperty("title").GetString())
            .ToList();
        Assert.Equal(
            [
                "Payouts and payins by final state", "Success rate", "Paypro latency percentiles", "Callback verdicts",
                "Stuck transactions and anomalies", "Poison queue depth", "Oldest pending transaction", "Daily reconciliation", "Alert markers in the log",
            ],
            titles);
    }
}
