using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Paypro.Functions.Tests.Infrastructure;

/// <summary>
/// Azurite (tests/Paypro.Testing's <see cref="Azurite"/>) for xUnit: tables on disk in a temporary folder, so
/// their contents survive a restart of Table Storage alone (<see cref="StopTableServiceAsync"/>,
/// <see cref="StartTableServiceAsync"/>); queues in memory. Share one with <c>[Collection(AzuriteCollection.Name)]</c>,
/// or start a private one with <see cref="StartAsync"/> when a test stops a service. A missing Azurite fails the
/// tests with what to install; it never skips them.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>Azurite's well-known development account key; public, protects nothing.</summary>
    public const string AccountKey = Azurite.AccountKey;

    private Azurite? _azurite;

    private Azurite Running => _azurite ?? throw new InvalidOperationException("Azurite has not been started.");

    public int TablePort => Running.TablePort;
    public int QueuePort => Running.QueuePort;

    /// <summary>A shared-key connection string for both services, the value of <c>AzureWebJobsStorage</c>.</summary>
    public string ConnectionString => Running.ConnectionString;

    public bool IsTableServiceRunning => Running.IsTableServiceRunning;

    /// <summary>Starts a private instance (dispose it at the end of the test).</summary>
    public static async Task<AzuriteFixture> StartAsync()
    {
        var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        return azurite;
    }

    public TableServiceClient CreateTableServiceClient() => Running.CreateTableServiceClient();

    /// <summary>A queue client that encodes messages as base64, as queue triggers expect.</summary>
    public QueueServiceClient CreateQueueServiceClient(QueueMessageEncoding encoding = QueueMessageEncoding.Base64) =>
        Running.CreateQueueServiceClient(encoding);

    public async Task InitializeAsync() =>
        _azurite = await Azurite.StartAsync(RepositoryPaths.Root, tables: AzuriteStorage.OnDisk, queues: AzuriteStorage.InMemory);

    /// <summary>Stops Table Storage (gracefully, so what was written is kept); queues keep running.</summary>
    public Task StopTableServiceAsync() => Running.StopTableServiceAsync();

    /// <summary>Starts Table Storage again on the same port, with the tables it had.</summary>
    public Task StartTableServiceAsync() => Running.StartTableServiceAsync();

    /// <summary>Stops Queue Storage; its messages are lost (queues live in memory). Tables keep running.</summary>
    public Task StopQueueServiceAsync() => Running.StopQueueServiceAsync();

    /// <summary>Starts Queue Storage again on the same port, empty.</summary>
    public Task StartQueueServiceAsync() => Running.StartQueueServiceAsync();

    public async Task DisposeAsync()
    {
        if (Interlocked.Exchange(ref _azurite, null) is { } azurite)
        {
            await azurite.DisposeAsync();
        }
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());
}

/// <summary>Tests that share one Azurite (and must not stop its services).</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
