using Azure;
using Azure.Data.Tables;

namespace Paypro.Functions.Tests.Infrastructure;

/// <summary>The fixture other tests rely on to take Table Storage away mid-test.</summary>
public sealed class AzuriteFixtureTests
{
    [Fact]
    public async Task Table_service_stops_and_starts_again_on_the_same_port_with_its_data()
    {
        await using var azurite = await AzuriteFixture.StartAsync();
        var table = azurite.CreateTableServiceClient().GetTableClient("Restart" + Guid.NewGuid().ToString("N")[..8]);
        await table.CreateAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["Value"] = "kept" });
        var port = azurite.TablePort;

        await azurite.StopTableServiceAsync();
        var outage = await Assert.ThrowsAnyAsync<Exception>(() => new TableClient(azurite.ConnectionString, table.Name,
            new TableClientOptions { Retry = { MaxRetries = 0 } }).GetEntityAsync<TableEntity>("p", "r"));
        Assert.False(azurite.IsTableServiceRunning);
        await azurite.StartTableServiceAsync();

        Assert.Equal(port, azurite.TablePort);
        Assert.IsType<RequestFailedException>(outage);
        var entity = await table.GetEntityAsync<TableEntity>("p", "r");
        Assert.Equal("kept", entity.Value["Value"]);
    }

    [Fact]
    public async Task Queues_keep_working_while_tables_are_down()
    {
        await using var azurite = await AzuriteFixture.StartAsync();
        await azurite.StopTableServiceAsync();

        var queue = azurite.CreateQueueServiceClient().GetQueueClient("still-up");
        await queue.CreateAsync();
        await queue.SendMessageAsync("hello");

        Assert.Equal("hello", (await queue.ReceiveMessageAsync()).Value.Body.ToString());
    }
}
