using System.Text.Json;
using System.Text.RegularExpressions;

namespace Paypro.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class StorageTests(InfraFixture fixture)
{
    private ArmResource Account => fixture.Template.Single("Microsoft.Storage/storageAccounts");

    [Fact]
    public void Account_refuses_shared_keys_so_every_caller_needs_an_entra_identity()
    {
        Assert.False(Account.Get("properties.allowSharedKeyAccess").GetBoolean());
        Assert.True(Account.Get("properties.defaultToOAuthAuthentication").GetBoolean());
    }

    [Fact]
    public void Account_requires_tls_1_2_and_https_and_allows_no_public_blobs()
    {
        Assert.Equal("TLS1_2", Account.Get("properties.minimumTlsVersion").GetString());
        Assert.True(Account.Get("properties.supportsHttpsTrafficOnly").GetBoolean());
        Assert.False(Account.Get("properties.allowBlobPublicAccess").GetBoolean());
        Assert.False(Account.Get("properties.allowCrossTenantReplication").GetBoolean());
    }

    [Fact]
    public void Queues_for_payouts_payins_and_events_exist_with_their_poison_queues()
    {
        Assert.Equal(
            [
                "paypro-events",
                "paypro-events-poison",
                "paypro-payins",
                "paypro-payins-poison",
                "paypro-payouts",
                "paypro-payouts-poison",
            ],
            NamesOf("Microsoft.Storage/storageAccounts/queueServices/queues").Order());
    }

    [Fact]
    public void Tables_for_transactions_audit_due_index_and_money_controls_exist()
    {
        Assert.Equal(
            ["PayproAudit", "PayproControls", "PayproDue", "PayproTransactions"],
            NamesOf("Microsoft.Storage/storageAccounts/tableServices/tables").Order());
    }

    [Fact]
    public void Deployment_container_is_private_and_is_the_one_the_app_deploys_from()
    {
        var container = fixture.Template.Single("Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.Equal("None", container.Get("properties.publicAccess").GetString());

        var containerName = LastNameSegment(container);
        var app = fixture.Template.Single("Microsoft.Web/sites");
        var packageLocation = app.Get("properties.functionAppConfig.deployment.storage.value").GetString()!;
        Assert.Contains("primaryEndpoints.blob", packageLocation, StringComparison.Ordinal);
        Assert.Contains("parameters('deploymentContainerName')", packageLocation, StringComparison.Ordinal);
        Assert.Equal(containerName, app.Scope.ResolveString("[parameters('deploymentContainerName')]"));
    }

    /// <summary>Names a copy loop creates: the loop's array, resolved to its literal items.</summary>
    private string[] NamesOf(string type)
    {
        var resource = fixture.Template.Single(type);
        var name = resource.Get("name").GetString()!;
        var count = resource.Get("copy.count").GetString()!;

        // count: [length(parameters('queueNames'))], name: [format(..., parameters('queueNames')[copyIndex()])]
        var loop = Regex.Match(count, @"^\[length\(parameters\('(?<array>[^']+)'\)\)\]$");
        Assert.True(loop.Success, $"{resource} loops over {count}, not over a parameter.");
        var arrayParameter = loop.Groups["array"].Value;
        Assert.Contains($"parameters('{arrayParameter}')[copyIndex()]", name, StringComparison.Ordinal);
        var items = resource.Scope.Resolve($"[parameters('{arrayParameter}')]");
        Assert.True(items is { ValueKind: JsonValueKind.Array }, $"{resource} loops over '{arrayParameter}', which is not a literal list.");
        return items.Value.EnumerateArray().Select(item => item.GetString()!).ToArray();
    }

    private static string LastNameSegment(ArmResource resource)
    {
        // [format('{0}/{1}/{2}', parameters('storageAccountName'), 'default', parameters('deploymentContainerName'))]
        var name = resource.Get("name").GetString()!;
        var last = Regex.Match(name, @", (?<argument>parameters\('[^']+'\))\)\]$");
        Assert.True(last.Success, $"The name of {resource} does not end in a parameter: {name}.");
        return resource.Scope.ResolveString($"[{last.Groups["argument"].Value}]")
            ?? throw new Xunit.Sdk.XunitException($"Cannot resolve the name of {resource}: {name}.");
    }
}
