namespace Paypro.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class FunctionAppTests(InfraFixture fixture)
{
    private ArmResource App => fixture.Template.Single("Microsoft.Web/sites");

    private DeploymentSnapshot Snapshot => fixture.Snapshot;

    /// <summary>
    /// App settings by name, as a deployment of main.bicepparam would set them (the template builds
    /// the list with an expression: the money controls join it only when set).
    /// </summary>
    private IReadOnlyDictionary<string, string> Settings => Snapshot.AppSettings;

    /// <summary>The value a setting is given; fails when it is known only once the resources exist.</summary>
    private string Literal(string name) =>
        Settings[name] is var value && !value.StartsWith('[')
            ? value
            : throw new Xunit.Sdk.XunitException($"App setting {name} is not a literal: {value}.");

    /// <summary>A setting known only once the resources exist: the expression that reads it.</summary>
    private string Expression(string name) =>
        Settings[name] is var value && value.StartsWith('[')
            ? value
            : throw new Xunit.Sdk.XunitException($"App setting {name} is not an expression: {value}.");

    [Fact]
    public void Plan_is_flex_consumption_on_linux()
    {
        var plan = fixture.Template.Single("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", plan.Get("sku.name").GetString());
        Assert.Equal("FlexConsumption", plan.Get("sku.tier").GetString());
        Assert.True(plan.Get("properties.reserved").GetBoolean());
        Assert.Equal("functionapp,linux", App.Get("kind").GetString());
    }

    [Fact]
    public void App_runs_the_dotnet_10_isolated_worker_deployed_from_blob_storage_with_its_identity()
    {
        var config = App.Get("properties.functionAppConfig");
        Assert.Equal("dotnet-isolated", ArmTemplate.Find(config, "runtime.name")?.GetString());
        Assert.Equal("10.0", ArmTemplate.Find(config, "runtime.version")?.GetString());
        Assert.Equal("blobContainer", ArmTemplate.Find(config, "deployment.storage.type")?.GetString());
        Assert.Equal("UserAssignedIdentity", ArmTemplate.Find(config, "deployment.storage.authentication.type")?.GetString());
        Assert.Contains(
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            ArmTemplate.Find(config, "deployment.storage.authentication.userAssignedIdentityResourceId")?.GetString(),
            StringComparison.Ordinal);
        Assert.Null(ArmTemplate.Find(config, "deployment.storage.authentication.storageAccountConnectionStringName"));
        Assert.Equal(40, App.Scope.Resolve(ArmTemplate.Find(config, "scaleAndConcurrency.maximumInstanceCount")!.Value)?.GetInt32());
        Assert.Equal(2048, App.Scope.Resolve(ArmTemplate.Find(config, "scaleAndConcurrency.instanceMemoryMB")!.Value)?.GetInt32());
    }

    [Fact]
    public void App_accepts_https_only_with_tls_1_2_and_no_ftp()
    {
        Assert.True(App.Get("properties.httpsOnly").GetBoolean());
        Assert.Equal("1.2", App.Get("properties.siteConfig.minTlsVersion").GetString());
        Assert.Equal("1.2", App.Get("properties.siteConfig.scmMinTlsVersion").GetString());
        Assert.Equal("Disabled", App.Get("properties.siteConfig.ftpsState").GetString());
    }

    [Fact]
    public void Basic_publishing_credentials_are_off_for_ftp_and_scm()
    {
        var policies = fixture.Template.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies");
        Assert.Equal(["ftp", "scm"], policies.Select(policy => policy.Get("name").GetString()!.Split('\'')[^2]).Order());
        Assert.All(policies, policy => Assert.False(policy.Get("properties.allow").GetBoolean()));
    }

    [Fact]
    public void App_runs_as_the_user_assigned_identity_and_resolves_key_vault_references_with_it()
    {
        Assert.Equal("UserAssigned", App.Get("identity.type").GetString());
        const string identityId = "resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identityName'))";
        var identityKey = Assert.Single(App.Get("identity.userAssignedIdentities").EnumerateObject()).Name;
        Assert.Contains(identityId, identityKey, StringComparison.Ordinal);
        Assert.Equal($"[{identityId}]", App.Get("properties.keyVaultReferenceIdentity").GetString());
        AssertIsTheAppIdentity("identity");
    }

    [Fact]
    public void App_settings_cover_everything_the_app_reads()
    {
        Assert.Equal(
            [
                "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
                "APPLICATIONINSIGHTS_CONNECTION_STRING",
                "AZURE_CLIENT_ID",
                "AuditPurgeSchedule",
                "Audit__RetentionDays",
                "AzureWebJobsStorage__accountName",
                "AzureWebJobsStorage__blobServiceUri",
                "AzureWebJobsStorage__clientId",
                "AzureWebJobsStorage__credential",
                "AzureWebJobsStorage__queueServiceUri",
                "AzureWebJobsStorage__tableServiceUri",
                "EventsQueueName",
                "KeyVault__SecretName",
                "KeyVault__VaultUri",
                "Notify__AllowedIpRanges",
                "Notify__UnsignedPolicy",
                "PayinsQueueName",
                "PayoutsQueueName",
                "Paypro__BaseUrl",
                "Paypro__MerchantNo",
                "Paypro__NotifyUrl",
                "Paypro__SaltPosition",
                "PollSchedule",
                "ReconcileSchedule",
                "Reconcile__Days",
                "Reconcile__MaxConcurrency",
                "Storage__TablePrefix",
                "Submit__AllowedIpRanges",
                "Submit__HttpEnabled",
            ],
            Settings.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void App_settings_carry_the_deployment_parameters()
    {
        Assert.Equal(InfraFixture.DeploymentEnvironment["PAYPRO_BASE_URL"], Literal("Paypro__BaseUrl"));
        Assert.Equal(InfraFixture.DeploymentEnvironment["PAYPRO_MERCHANT_NO"], Literal("Paypro__MerchantNo"));
        Assert.Equal("Append", Literal("Paypro__SaltPosition"));
        Assert.Equal("0 */1 * * * *", Literal("PollSchedule"));
        Assert.Equal("0 30 2 * * *", Literal("AuditPurgeSchedule"));
        Assert.Equal("0 */5 22-23,0-2 * * *", Literal("ReconcileSchedule"));
        Assert.Equal("1,8", Literal("Reconcile__Days"));
        Assert.Equal(string.Empty, Literal("Submit__AllowedIpRanges"));
        Assert.Equal("ConfirmByQuery", Literal("Notify__UnsignedPolicy"));
        Assert.Equal(string.Empty, Literal("Notify__AllowedIpRanges"));
        Assert.Equal("paypro-app-secret", Literal("KeyVault__SecretName"));
        Assert.Equal(Snapshot.Reference("Microsoft.KeyVault/vaults", "vaultUri"), Expression("KeyVault__VaultUri"));
    }

    [Fact]
    public void Queue_and_table_settings_name_the_queues_and_tables_the_template_creates()
    {
        var queues = QueueNames();
        Assert.Equal("paypro-payouts", Literal("PayoutsQueueName"));
        Assert.Equal("paypro-payins", Literal("PayinsQueueName"));
        Assert.Equal("paypro-events", Literal("EventsQueueName"));
        foreach (var setting in new[] { "PayoutsQueueName", "PayinsQueueName", "EventsQueueName" })
        {
            Assert.Contains(Literal(setting), queues);
            Assert.Contains($"{Literal(setting)}-poison", queues);
        }

        var prefix = Literal("Storage__TablePrefix");
        Assert.Equal("Paypro", prefix);
        var tables = fixture.Template.Single("Microsoft.Storage/storageAccounts/tableServices/tables");
        var tableNames = tables.Scope.Resolve("[parameters('tableNames')]")!.Value.EnumerateArray().Select(table => table.GetString()!);
        Assert.Equal(
            ["Audit", "Controls", "Due", "Transactions"],
            tableNames.Select(table => table.StartsWith(prefix, StringComparison.Ordinal) ? table[prefix.Length..] : table).Order());
    }

    [Fact]
    public void Host_storage_is_identity_based()
    {
        Assert.Equal("managedidentity", Literal("AzureWebJobsStorage__credential"));
        Assert.Equal(Snapshot.NameOf("Microsoft.Storage/storageAccounts"), Literal("AzureWebJobsStorage__accountName"));
        Assert.Equal(Snapshot.Reference(Identity, "clientId"), Expression("AzureWebJobsStorage__clientId"));
        AssertTheAppRunsAs(Snapshot.IdOf(Identity));
        Assert.Equal(Expression("AzureWebJobsStorage__clientId"), Expression("AZURE_CLIENT_ID"));
        foreach (var service in new[] { "blob", "queue", "table" })
        {
            Assert.Equal(
                Snapshot.Reference("Microsoft.Storage/storageAccounts", $"primaryEndpoints.{service}"),
                Expression($"AzureWebJobsStorage__{service}ServiceUri"));
        }
    }

    [Fact]
    public void Application_insights_ingestion_authenticates_with_the_identity()
    {
        var authentication = Expression("APPLICATIONINSIGHTS_AUTHENTICATION_STRING");
        Assert.Equal($"[format('Authorization=AAD;ClientId={{0}}', {Snapshot.ReferenceCall(Identity)}.clientId)]", authentication);
        AssertTheAppRunsAs(Snapshot.IdOf(Identity));
        Assert.Equal(
            Snapshot.Reference("Microsoft.Insights/components", "ConnectionString"),
            Expression("APPLICATIONINSIGHTS_CONNECTION_STRING"));
    }

    [Fact]
    public void Notify_url_is_a_key_vault_reference_because_it_holds_the_function_key()
    {
        var notifyUrl = Literal("Paypro__NotifyUrl");
        Assert.Equal(
            $"@Microsoft.KeyVault(VaultName={Snapshot.NameOf("Microsoft.KeyVault/vaults")};SecretName=paypro-notify-url)",
            notifyUrl);
    }

    [Fact]
    public void App_settings_hold_no_connection_string_key_or_secret()
    {
        string[] forbiddenNames =
        [
            "AzureWebJobsStorage",
            "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
            "APPINSIGHTS_INSTRUMENTATIONKEY",
            "Paypro__AppSecret",
            "Hosting__FunctionKey",
        ];
        Assert.All(forbiddenNames, name => Assert.DoesNotContain(name, Settings.Keys));

        string[] forbiddenFragments =
        [
            "AccountKey",
            "DefaultEndpointsProtocol",
            "SharedAccessSignature",
            "sig=",
            "InstrumentationKey=",
            "listKeys",
            "listSecrets",
            "?code=",
        ];
        foreach (var (name, text) in Settings)
        {
            Assert.All(
                forbiddenFragments,
                fragment => Assert.False(
                    text.Contains(fragment, StringComparison.OrdinalIgnoreCase),
                    $"App setting {name} contains '{fragment}': {text}"));
        }
    }

    [Fact]
    public void App_settings_flex_consumption_rejects_are_absent()
    {
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", Settings.Keys);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", Settings.Keys);
        Assert.DoesNotContain("WEBSITE_RUN_FROM_PACKAGE", Settings.Keys);
    }

    [Fact]
    public void App_is_deployed_after_its_role_assignments()
    {
        var module = fixture.Template.Resources.Single(resource => resource.SymbolicName == "functionApp");
        Assert.Contains("roles", module.Get("dependsOn").EnumerateArray().Select(dependency => dependency.GetString()));
    }

    private const string Identity = "Microsoft.ManagedIdentity/userAssignedIdentities";

    /// <summary>The identity is the one user-assigned identity the app runs as.</summary>
    private void AssertTheAppRunsAs(string identityId)
    {
        var app = Snapshot.Single("Microsoft.Web/sites");
        var identities = app.GetProperty("identity")
            .GetProperty("userAssignedIdentities")
            .EnumerateObject()
            .Select(identity => identity.Name);
        Assert.Equal(identityId, Assert.Single(identities));
    }

    /// <summary>The symbol is the user-assigned identity the app is given, not some other one.</summary>
    private void AssertIsTheAppIdentity(string symbolicName)
    {
        var identity = fixture.Template.Symbol(App.Scope, symbolicName);
        Assert.Equal("Microsoft.ManagedIdentity/userAssignedIdentities", identity.Type);
        Assert.Equal("[parameters('identityName')]", identity.Get("name").GetString());
    }

    private string[] QueueNames()
    {
        var queues = fixture.Template.Single("Microsoft.Storage/storageAccounts/queueServices/queues");
        return queues.Scope.Resolve("[parameters('queueNames')]")!.Value.EnumerateArray().Select(queue => queue.GetString()!).ToArray();
    }
}
