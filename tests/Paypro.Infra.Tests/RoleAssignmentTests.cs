namespace Paypro.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class RoleAssignmentTests(InfraFixture fixture)
{
    // Built-in role definition ids, identical in every Azure subscription.
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    public static TheoryData<string, string, string> ExpectedAssignments => new()
    {
        { "Storage Blob Data Owner", StorageBlobDataOwner, "Microsoft.Storage/storageAccounts" },
        { "Storage Queue Data Contributor", StorageQueueDataContributor, "Microsoft.Storage/storageAccounts" },
        { "Storage Table Data Contributor", StorageTableDataContributor, "Microsoft.Storage/storageAccounts" },
        { "Key Vault Secrets User", KeyVaultSecretsUser, "Microsoft.KeyVault/vaults" },
        { "Monitoring Metrics Publisher", MonitoringMetricsPublisher, "Microsoft.Insights/components" },
    };

    private IReadOnlyList<ArmResource> Assignments => fixture.Template.OfType("Microsoft.Authorization/roleAssignments");

    [Theory]
    [MemberData(nameof(ExpectedAssignments))]
    public void Identity_gets_the_role_on_the_resource_it_needs_it_for(string role, string roleDefinitionId, string scopeType)
    {
        var matches = Assignments
            .Where(assignment => assignment.Get("properties.roleDefinitionId").GetString()!
                .Contains($"'{roleDefinitionId}'", StringComparison.Ordinal))
            .ToArray();
        var assignment = Assert.Single(matches);

        Assert.StartsWith(
            "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ",
            assignment.Get("properties.roleDefinitionId").GetString(),
            StringComparison.Ordinal);
        var scope = assignment.Find("scope")?.GetString();
        Assert.True(scope is not null, $"{role} has no scope, so it would apply to the whole resource group.");
        Assert.StartsWith($"[resourceId('{scopeType}', ", scope, StringComparison.Ordinal);
        Assert.Equal("ServicePrincipal", assignment.Get("properties.principalType").GetString());
        Assert.Equal(
            "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identityName')), "
                + "'2024-11-30').principalId]",
            assignment.Get("properties.principalId").GetString());
    }

    [Fact]
    public void No_other_role_is_granted()
    {
        string[] expected =
        [
            StorageBlobDataOwner,
            StorageQueueDataContributor,
            StorageTableDataContributor,
            KeyVaultSecretsUser,
            MonitoringMetricsPublisher,
        ];
        Assert.Equal(expected.Length, Assignments.Count);
        Assert.All(
            Assignments,
            assignment => Assert.Contains(
                expected,
                id => assignment.Get("properties.roleDefinitionId").GetString()!.Contains(id, StringComparison.Ordinal)));
    }
}
