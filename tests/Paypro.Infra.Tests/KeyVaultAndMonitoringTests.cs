namespace Paypro.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class KeyVaultAndMonitoringTests(InfraFixture fixture)
{
    private ArmResource Vault => fixture.Template.Single("Microsoft.KeyVault/vaults");

    [Fact]
    public void Vault_grants_access_with_azure_roles_only()
    {
        Assert.True(Vault.Get("properties.enableRbacAuthorization").GetBoolean());
        Assert.Null(Vault.Find("properties.accessPolicies"));
    }

    [Fact]
    public void Vault_keeps_deleted_secrets_and_refuses_early_purge()
    {
        Assert.True(Vault.Get("properties.enableSoftDelete").GetBoolean());
        Assert.True(Vault.Get("properties.enablePurgeProtection").GetBoolean());
        Assert.InRange(Vault.Get("properties.softDeleteRetentionInDays").GetInt32(), 7, 90);
    }

    [Fact]
    public void Template_creates_no_secret_so_no_secret_value_passes_through_a_deployment()
    {
        Assert.Empty(fixture.Template.OfType("Microsoft.KeyVault/vaults/secrets"));
        Assert.DoesNotContain("securestring", fixture.Template.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secureObject", fixture.Template.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Vault_audit_log_goes_to_log_analytics()
    {
        var setting = fixture.Template.Single("Microsoft.Insights/diagnosticSettings");
        Assert.Contains("Microsoft.KeyVault/vaults", setting.Get("scope").GetString(), StringComparison.Ordinal);
        Assert.Contains(
            "Microsoft.OperationalInsights/workspaces",
            setting.Get("properties.workspaceId").GetString(),
            StringComparison.Ordinal);
        var log = Assert.Single(setting.Get("properties.logs").EnumerateArray());
        Assert.Equal("audit", log.GetProperty("categoryGroup").GetString());
        Assert.True(log.GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public void Application_insights_is_workspace_based_and_refuses_instrumentation_key_ingestion()
    {
        var appInsights = fixture.Template.Single("Microsoft.Insights/components");
        Assert.True(appInsights.Get("properties.DisableLocalAuth").GetBoolean());
        Assert.Contains(
            "Microsoft.OperationalInsights/workspaces",
            appInsights.Get("properties.WorkspaceResourceId").GetString(),
            StringComparison.Ordinal);

        var workspace = fixture.Template.Single("Microsoft.OperationalInsights/workspaces");
        Assert.True(workspace.Get("properties.features.disableLocalAuth").GetBoolean());
    }
}
