using System.Net;
using System.Net.Sockets;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Paypro.Functions.Tests.Secrets;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.Functions;

/// <summary>
/// Under the Functions host (Flex Consumption gives start-up 30 s, and an instance may start for one request) the
/// app's start-up makes no storage and no vault round trip: the deployment creates the tables and queues, and the
/// secret is read when a function first needs it.
/// </summary>
public sealed class WorkerStartupTests
{
    [Fact]
    public async Task Starting_the_app_as_the_worker_does_touches_neither_storage_nor_the_vault()
    {
        // A storage endpoint that only counts connections: any round trip would open one.
        using var storage = new TcpListener(IPAddress.Loopback, 0);
        storage.Start();
        var port = ((IPEndPoint)storage.LocalEndpoint).Port;
        var connections = 0;
        _ = Task.Run(async () =>
        {
            while (true)
            {
                using var client = await storage.AcceptTcpClientAsync();
                Interlocked.Increment(ref connections);
            }
        });
        var vault = new FakeVault();
        vault.AddVersion("vault-secret-for-start-up-test", DateTimeOffset.UtcNow.AddDays(-1));

        var builder = AppBuilder(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] =
                $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Infrastructure.AzuriteFixture.AccountKey};" +
                $"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
        });
        builder.Services.AddSingleton<SecretClient>(vault.Client.Object);
        using var host = builder.Build();

        await host.StartAsync();
        var store = host.Services.GetRequiredService<ITransactionStore>();

        Assert.Equal(0, Volatile.Read(ref connections));
        vault.VerifyCurrentReads(Moq.Times.Never());

        // The counter does count: the first storage call opens a connection.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<Exception>(() => store.GetAsync("T-1", timeout.Token));
        Assert.True(Volatile.Read(ref connections) > 0, "The storage call did not reach the counting endpoint.");
        await host.StopAsync();
    }

    /// <summary>
    /// The app's services on a generic host, with settings that start: those given replace or add to them (a null value
    /// removes one). No storage is touched until a function runs.
    /// </summary>
    internal static HostApplicationBuilder AppBuilder(IReadOnlyDictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var all = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] =
                $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Infrastructure.AzuriteFixture.AccountKey};" +
                "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;",
            ["Paypro:BaseUrl"] = "http://127.0.0.1:9/",
            ["Paypro:MerchantNo"] = "1000000001",
            ["Paypro:NotifyUrl"] = "https://merchant.example/api/paypro/notify?code=k",
            ["KeyVault:VaultUri"] = FakeVault.VaultUri.AbsoluteUri,
            ["PayoutsQueueName"] = "paypro-payouts",
            ["PayinsQueueName"] = "paypro-payins",
            ["EventsQueueName"] = "paypro-events",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(all.Where(pair => pair.Value is not null));
        builder.Services.AddPayproFunctions(builder.Configuration);
        return builder;
    }
}
