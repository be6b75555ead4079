namespace Paypro.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class AlertTests(InfraFixture fixture)
{
    private IReadOnlyList<ArmResource> Rules => fixture.Template.OfType("Microsoft.Insights/scheduledQueryRules");

    [Theory]
    [InlineData("PAYPRO_POISON_MESSAGE")]
    [InlineData("PAYPRO_TRANSACTION_STUCK")]
    [InlineData("PAYPRO_CALLBACK_REJECTED")]
    [InlineData("PAYPRO_ANOMALY")]
    [InlineData("PAYPRO_QUERIES_FAILING")]
    [InlineData("PAYPRO_PAID_NOT_SENT")]
    [InlineData("PAYPRO_RECONCILIATION_INCOMPLETE")]
    [InlineData("PAYPRO_PAYOUT_HELD")]
    public void A_log_alert_watches_each_marker_the_app_writes(string marker)
    {
        var rule = Assert.Single(Rules, rule => Query(rule).Contains($"\"{marker}\"", StringComparison.Ordinal));
        Assert.StartsWith("traces ", Query(rule), StringComparison.Ordinal);
        AssertLive(rule);
    }

    [Fact]
    public void The_paid_not_sent_case_has_the_highest_severity_and_a_metric_alert_watches_reconciliation_disagreements()
    {
        var paidNotSent = Assert.Single(Rules, rule => Query(rule).Contains("\"PAYPRO_PAID_NOT_SENT\"", StringComparison.Ordinal));
        Assert.Equal(0, paidNotSent.Get("properties.severity").GetInt32());
        Assert.All(
            Rules.Where(rule => rule != paidNotSent),
            rule => Assert.True(rule.Get("properties.severity").GetInt32() > 0, $"{rule} is as severe as paid-not-sent."));
        var disagreements = Assert.Single(
            Rules,
            rule => Query(rule).Contains("\"paypro.reconciliation.disagreements\"", StringComparison.Ordinal));
        Assert.StartsWith("customMetrics ", Query(disagreements), StringComparison.Ordinal);
        AssertLive(disagreements);
    }

    [Fact]
    public void Held_payout_alert_fires_once_per_held_payout_and_tells_the_operator_what_to_do()
    {
        var rule = Assert.Single(Rules, rule => Query(rule).Contains("\"PAYPRO_PAYOUT_HELD\"", StringComparison.Ordinal));
        Assert.Equal("traces | where message has \"PAYPRO_PAYOUT_HELD\"", Query(rule));
        Assert.Equal("Paypro: payout held", rule.Get("properties.displayName").GetString());
        Assert.InRange(rule.Get("properties.severity").GetInt32(), 2, 3);
        Assert.Equal(0, rule.Scope.Resolve(Criterion(rule).GetProperty("threshold"))?.GetInt32());
        // A window no longer than the frequency counts each line in one evaluation only.
        Assert.Equal("PT5M", rule.Get("properties.evaluationFrequency").GetString());
        Assert.Equal("PT5M", rule.Get("properties.windowSize").GetString());

        var description = rule.Get("properties.description").GetString()!;
        Assert.All(
            [
                "GET /api/transactions/held", "POST /api/payouts/{tradeNo}/release", "POST /api/payouts/{tradeNo}/cancel", "\"reason\"",
                "master key", "Controls__HoldExpiry", "docs/operations.md", "A held payout",
            ],
            fragment => Assert.Contains(fragment, description, StringComparison.Ordinal));
    }

    [Fact]
    public void Poison_alert_also_catches_the_host_moving_a_message()
    {
        var rule = Assert.Single(Rules, rule => Query(rule).Contains("PAYPRO_POISON_MESSAGE", StringComparison.Ordinal));
        Assert.Contains("\"MaxDequeueCount\"", Query(rule), StringComparison.Ordinal);
        Assert.Contains("\"-poison\"", Query(rule), StringComparison.Ordinal);
    }

    [Fact]
    public void Rejected_callback_alert_fires_on_a_burst_not_on_one_forgery()
    {
        var rule = Assert.Single(Rules, rule => Query(rule).Contains("PAYPRO_CALLBACK_REJECTED", StringComparison.Ordinal));
        var threshold = rule.Scope.Resolve(Criterion(rule).GetProperty("threshold"));
        Assert.Equal(10, threshold?.GetInt32());
    }

    [Fact]
    public void A_log_alert_watches_failed_invocations_and_exceptions()
    {
        var rule = Assert.Single(Rules, rule => Query(rule).Contains("requests", StringComparison.Ordinal));
        Assert.Contains("success == false", Query(rule), StringComparison.Ordinal);
        Assert.Contains("exceptions", Query(rule), StringComparison.Ordinal);
        AssertLive(rule);
    }

    [Fact]
    public void Alerts_email_the_payments_team_when_an_address_is_given()
    {
        var group = fixture.Template.Single("Microsoft.Insights/actionGroups");
        Assert.Contains("parameters('alertEmail')", group.Get("condition").GetString(), StringComparison.Ordinal);
        var receiver = Assert.Single(group.Get("properties.emailReceivers").EnumerateArray());
        Assert.Equal(
            InfraFixture.DeploymentEnvironment["PAYPRO_ALERT_EMAIL"],
            group.Scope.ResolveString(receiver.GetProperty("emailAddress")));
        Assert.All(Rules, rule => Assert.Equal("[variables('actionGroups')]", rule.Get("properties.actions.actionGroups").GetString()));
    }

    private static void AssertLive(ArmResource rule)
    {
        Assert.True(rule.Get("properties.enabled").GetBoolean(), $"{rule} is disabled.");
        Assert.Equal("LogAlert", rule.Get("kind").GetString());
        var scope = Assert.Single(rule.Get("properties.scopes").EnumerateArray());
        Assert.Contains("Microsoft.Insights/components", scope.GetString(), StringComparison.Ordinal);
        Assert.Equal("Count", Criterion(rule).GetProperty("timeAggregation").GetString());
        Assert.Equal("GreaterThan", Criterion(rule).GetProperty("operator").GetString());
    }

    private static System.Text.Json.JsonElement Criterion(ArmResource rule) =>
        Assert.Single(rule.Get("properties.criteria.allOf").EnumerateArray());

    private static string Query(ArmResource rule) => Criterion(rule).GetProperty("query").GetString()!;
}
