using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Specialized;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Paypro.Functions.Storage;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>Storage clients from AzureWebJobsStorage, as the host reads it.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class StorageAccountTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Connection_string_gives_working_clients_that_write_base64_queue_messages()
    {
        using var services = Build(("AzureWebJobsStorage", azurite.ConnectionString));
        var queues = services.GetRequiredService<QueueServiceClient>();
        var tables = services.GetRequiredService<TableServiceClient>();
        var queueName = "s" + Guid.NewGuid().ToString("N")[..20];
        var queue = queues.GetQueueClient(queueName);
        await queue.CreateAsync();

        await queue.SendMessageAsync("""{"tradeNo":"T-1"}""");
        var table = await tables.CreateTableIfNotExistsAsync("S" + Guid.NewGuid().ToString("N")[..20]);

        var raw = (await azurite.CreateQueueServiceClient(QueueMessageEncoding.None).GetQueueClient(queueName).PeekMessageAsync()).Value;
        Assert.Equal(Convert.ToBase64String("""{"tradeNo":"T-1"}"""u8.ToArray()), raw.Body.ToString());
        Assert.NotNull(table.Value);
        Assert.Same(queues, services.GetRequiredService<QueueServiceClient>());
    }

    [Fact]
    public async Task A_message_that_is_not_base64_is_left_where_it_is_and_out_of_what_the_app_reads()
    {
        using var services = Build(("AzureWebJobsStorage", azurite.ConnectionString));
        var queueName = "s" + Guid.NewGuid().ToString("N")[..20] + "-poison";
        var raw = azurite.CreateQueueServiceClient(QueueMessageEncoding.None).GetQueueClient(queueName);
        await raw.CreateAsync();
        await raw.SendMessageAsync("{\"tradeNo\":\"T-1\"} sent without base64");
        await raw.SendMessageAsync(Convert.ToBase64String("readable"u8.ToArray()));
        var queue = services.GetRequiredService<QueueServiceClient>().GetQueueClient(queueName);

        var peeked = (await queue.PeekMessagesAsync(32)).Value;
        var received = (await queue.ReceiveMessagesAsync(32)).Value;

        Assert.Equal(["readable"], peeked.Select(message => message.Body.ToString()));
        Assert.Equal(["readable"], received.Select(message => message.Body.ToString()));
        Assert.Equal(2, (await raw.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.False(await queue.GetParentQueueServiceClient().GetQueueClient(queueName + "-poison").ExistsAsync());
    }

    [Fact]
    public void The_clients_come_from_the_Azure_client_factory_one_of_each_for_the_app()
    {
        using var services = Build(("AzureWebJobsStorage", azurite.ConnectionString));

        Assert.Same(
            services.GetRequiredService<IAzureClientFactory<TableServiceClient>>().CreateClient(AzureClientNames.Default),
            services.GetRequiredService<TableServiceClient>());
        Assert.Same(
            services.GetRequiredService<IAzureClientFactory<QueueServiceClient>>().CreateClient(AzureClientNames.Default),
            services.GetRequiredService<QueueServiceClient>());
        Assert.Same(services.GetRequiredService<TableServiceClient>(), services.GetRequiredService<TableServiceClient>());
        Assert.Equal(
            QueueMessageEncoding.Base64,
            services.GetRequiredService<IOptionsMonitor<QueueClientOptions>>().Get(AzureClientNames.Default).MessageEncoding);
    }

    [Fact]
    public void Account_name_gives_the_public_endpoints_with_a_user_assigned_managed_identity()
    {
        using var services = Build(
            ("AzureWebJobsStorage:accountName", "payprostore"),
            ("AzureWebJobsStorage:credential", "managedidentity"),
            ("AzureWebJobsStorage:clientId", "00000000-0000-0000-0000-000000000001"));

        Assert.Equal(new Uri("https://payprostore.table.core.windows.net/"), services.GetRequiredService<TableServiceClient>().Uri);
        Assert.Equal(new Uri("https://payprostore.queue.core.windows.net/"), services.GetRequiredService<QueueServiceClient>().Uri);
        Assert.IsType<ManagedIdentityCredential>(Credential(services));
        Assert.Same(Credential(services), Credential(services));
    }

    [Fact]
    public void Service_uris_override_the_account_name_and_without_managedidentity_the_default_credential_is_used()
    {
        using var services = Build(
            ("AzureWebJobsStorage:accountName", "payprostore"),
            ("AzureWebJobsStorage:tableServiceUri", "https://tables.example.net"),
            ("AzureWebJobsStorage:queueServiceUri", "https://queues.example.net"));

        Assert.Equal("tables.example.net", services.GetRequiredService<TableServiceClient>().Uri.Host);
        Assert.Equal("queues.example.net", services.GetRequiredService<QueueServiceClient>().Uri.Host);
        Assert.IsType<DefaultAzureCredential>(Credential(services));
    }

    [Theory]
    [InlineData(new string[0], "set AzureWebJobsStorage to a connection string")]
    [InlineData(new[] { "AzureWebJobsStorage:tableServiceUri", "https://t.example.net" }, "AzureWebJobsStorage__queueServiceUri")]
    [InlineData(new[] { "AzureWebJobsStorage:accountName", "Not_An_Account" }, "AzureWebJobsStorage__accountName")]
    [InlineData(
        new[]
        {
            "AzureWebJobsStorage:queueServiceUri",
            "http://q.example.net",
            "AzureWebJobsStorage:tableServiceUri",
            "https://t.example.net",
        },
        "https URI")]
    [InlineData(
        new[] { "AzureWebJobsStorage:accountName", "payprostore", "AzureWebJobsStorage:credential", "clientsecret" },
        "AzureWebJobsStorage__credential")]
    public async Task Missing_or_wrong_storage_settings_stop_start_up_naming_the_setting(string[] pairs, string expected)
    {
        var settings = pairs.Chunk(2).Select(pair => (pair[0], pair[1])).ToArray();
        using var host = new HostBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(
                settings.Select(s => new KeyValuePair<string, string?>(s.Item1, s.Item2))))
            .ConfigureServices((context, services) => services.AddStorageClients(context.Configuration))
            .Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_account_name_is_reported_once()
    {
        using var host = new HostBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection([new("AzureWebJobsStorage:accountName", "Not_An_Account")]))
            .ConfigureServices((context, services) => services.AddStorageClients(context.Configuration))
            .Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(
            [
                "AzureWebJobsStorage__accountName must be a storage account name (3-24 lowercase letters and digits); "
                    + "got 'Not_An_Account'.",
                "AzureWebJobsStorage__tableServiceUri is not set: set AzureWebJobsStorage__accountName, "
                    + "or both AzureWebJobsStorage__tableServiceUri and AzureWebJobsStorage__queueServiceUri.",
            ],
            error.Failures);
    }

    [Fact]
    public void Settings_added_after_registration_still_count()
    {
        var configuration = new ConfigurationManager();
        var services = new ServiceCollection().AddStorageClients(configuration);
        configuration["AzureWebJobsStorage"] = azurite.ConnectionString;

        using var provider = services.BuildServiceProvider();

        Assert.Equal(azurite.QueuePort, provider.GetRequiredService<QueueServiceClient>().Uri.Port);
    }

    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return new ServiceCollection().AddStorageClients(configuration).BuildServiceProvider();
    }

    /// <summary>The credential the clients of an identity-based connection share, from the settings the provider was built with.</summary>
    private static TokenCredential Credential(ServiceProvider services) => services.GetRequiredService<StorageCredential>().Value;
}
