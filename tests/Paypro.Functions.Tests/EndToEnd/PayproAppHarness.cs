using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.DevHost;
using Paypro.Functions.Functions;
using Paypro.Functions.Storage;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// The whole product on loopback: the function app on the development host against Azurite and the Paypro sandbox, over real HTTP.
/// Each harness gets its own tables and queues (a unique prefix), so tests share one Azurite without seeing each other's data.
/// </summary>
public sealed class PayproAppHarness : IAsyncDisposable
{
    public const string FunctionKey = "e2e-function-key-0123456789";
    public const string MasterKey = "e2e-master-key-0123456789";

    /// <summary>Poll:MaxBackoff in the harness: the longest a pending transaction waits between two checks.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(500);

    /// <summary>Poll:UnknownGracePeriod in the harness: how long Paypro's "not found" decides nothing for an unknown transaction.</summary>
    public static readonly TimeSpan UnknownGracePeriod = TimeSpan.FromMinutes(5);

    /// <summary>Paypro:RequestTimeout in the harness: how long the app waits for an answer from Paypro.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    private readonly string _contentRoot;
    private readonly EventsReader _events;

    private PayproAppHarness(
        WebApplication app,
        SandboxHost sandbox,
        AzuriteFixture azurite,
        string id,
        StorageCounter storage,
        string contentRoot,
        TestClock clock)
    {
        App = app;
        Clock = clock;
        Sandbox = sandbox;
        Azurite = azurite;
        Id = id;
        BaseAddress = ListeningAddress(app.Services);
        Storage = storage;
        Logs = app.Services.GetFakeLogCollector();
        _contentRoot = contentRoot;
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Queues = azurite.CreateQueueServiceClient();
        Tables = azurite.CreateTableServiceClient();
        _events = new EventsReader(Queues.GetQueueClient(EventsQueue));
        // The test's own reads go through a client the StorageCounter does not see, so waiting for a state
        // never counts against the app's budgets.
        var tables = Options.Create(new StorageOptions { TablePrefix = TablePrefix });
        UncountedStore = new TransactionStore(Tables, tables, clock);
        UncountedPartitions = new IndexPartitions(Tables, tables);
        UncountedDue = new DueIndex(UncountedPartitions);
        UncountedOperations = new OperationsStore(Tables, tables, clock);
    }

    public WebApplication App { get; }

    /// <summary>
    /// The app's clock (its TimeProvider), shared with the sandbox when the sandbox was started by
    /// <see cref="StartSandbox"/>: it keeps pace with the wall clock, and a test skips it ahead instead of waiting
    /// out a grace period, a back-off or the sandbox's processing time. The development host's triggers keep
    /// their own clock (<see cref="DevelopmentHost.ClockKey"/>).
    /// </summary>
    public TestClock Clock { get; }
    public SandboxHost Sandbox { get; }
    public AzuriteFixture Azurite { get; }
    public string Id { get; }
    public Uri BaseAddress { get; }
    public StorageCounter Storage { get; }
    public FakeLogCollector Logs { get; }
    public HttpClient Http { get; }
    public QueueServiceClient Queues { get; }
    public TableServiceClient Tables { get; }

    public string PayoutsQueue => $"payouts-{Id}";
    public string PayinsQueue => $"payins-{Id}";
    public string EventsQueue => $"events-{Id}";
    public string TablePrefix => $"T{Id}";
    public Uri NotifyUrl => NotifyUrlOf(BaseAddress);

    public ITransactionStore Store => App.Services.GetRequiredService<ITransactionStore>();

    /// <summary>The same tables through a client outside the app, whose traffic the <see cref="Storage"/> counter does not see.</summary>
    public TransactionStore UncountedStore { get; }

    /// <summary>The index partitions, the due index and the operator's table of the same app, through the uncounted client.</summary>
    public IndexPartitions UncountedPartitions { get; }

    public DueIndex UncountedDue { get; }

    public OperationsStore UncountedOperations { get; }

    /// <summary>
    /// The settings the app runs with in the end-to-end tests, against <paramref name="azurite"/> and <paramref name="sandbox"/>,
    /// with tables and queues named after <paramref name="id"/> (configuration keys with ':').
    /// </summary>
    public static Dictionary<string, string?> Settings(AzuriteFixture azurite, SandboxHost sandbox, string id) => new()
    {
        ["AzureWebJobsStorage"] = azurite.ConnectionString,
        ["Storage:TablePrefix"] = $"T{id}",
        ["PayoutsQueueName"] = $"payouts-{id}",
        ["PayinsQueueName"] = $"payins-{id}",
        ["EventsQueueName"] = $"events-{id}",
        // The timer never fires by itself in tests: they run the poll when they mean to.
        ["PollSchedule"] = "0 0 0 1 1 *",
        ["AuditPurgeSchedule"] = "0 0 0 1 1 *",
        ["ReconcileSchedule"] = "0 0 0 1 1 *",
        ["Paypro:BaseUrl"] = sandbox.BaseUrl.AbsoluteUri,
        ["Paypro:MerchantNo"] = sandbox.Options.MerchantNo,
        ["Paypro:AppSecret"] = sandbox.Options.AppSecret,
        ["Paypro:RequestTimeout"] = RequestTimeout.ToString("c", CultureInfo.InvariantCulture),
        ["Poll:FirstCheckAfter"] = "00:00:00.200",
        ["Poll:MaxBackoff"] = MaxBackoff.ToString("c", CultureInfo.InvariantCulture),
        ["Poll:UnknownGracePeriod"] = UnknownGracePeriod.ToString("c", CultureInfo.InvariantCulture),
        // host.json's queue settings, overridden the way app settings override them under the host.
        ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.100",
        ["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:03",
        ["DevHost:FunctionKey"] = FunctionKey,
        ["DevHost:MasterKey"] = MasterKey,
        // A port of its own, chosen when the server binds; Paypro:NotifyUrl follows it (NotifyUrlOnceListening).
        ["urls"] = "http://127.0.0.1:0",
    };

    /// <summary>Starts the app against <paramref name="azurite"/> and a running sandbox.</summary>
    /// <param name="azurite">The storage the app uses.</param>
    /// <param name="sandbox">The Paypro the app calls, and which calls it back.</param>
    /// <param name="settings">Overrides of the test defaults (configuration keys with ':').</param>
    /// <param name="configure">Service replacements, applied after the app's own registrations.</param>
    /// <param name="id">
    /// Names the tables and queues; give another harness's <see cref="Id"/> to run a second instance of the
    /// app on the same storage (instances racing on one queue). A new one by default.
    /// </param>
    public static async Task<PayproAppHarness> StartAsync(
        AzuriteFixture azurite,
        SandboxHost sandbox,
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null,
        string? id = null)
    {
        id ??= Guid.NewGuid().ToString("N")[..10];
        var values = Settings(azurite, sandbox, id);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var storage = new StorageCounter();
        var clock = sandbox.Time as TestClock ?? new TestClock();
        // One folder per instance: instances sharing an id must not delete each other's.
        var contentRoot = Path.Combine(Path.GetTempPath(), "paypro-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(contentRoot);
        var args = values.Where(v => v.Value is not null).Select(v => $"--{v.Key}={v.Value}").ToArray();
        var app = DevelopmentHost.Build(args, builder =>
        {
            builder.Logging.AddFakeLogging();
            // Few, quick retries: a test that stops storage must see the failure within a callback's timeout.
            var options = new TableClientOptions
            {
                Retry = { MaxRetries = 1, Delay = TimeSpan.FromMilliseconds(50), NetworkTimeout = TimeSpan.FromSeconds(5) },
            };
            options.AddPolicy(storage, Azure.Core.HttpPipelinePosition.PerRetry);
            builder.Services.AddSingleton(new TableServiceClient(azurite.ConnectionString, options));
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.AddSingleton<IOptions<PayproAppOptions>, NotifyUrlOnceListening>();
            configure?.Invoke(builder.Services);
        }, contentRoot);
        await app.StartAsync();
        var harness = new PayproAppHarness(app, sandbox, azurite, id, storage, contentRoot, clock);
        sandbox.Options.DefaultNotifyUrl = harness.NotifyUrl.AbsoluteUri;
        return harness;
    }

    /// <summary>A sandbox on a <see cref="TestClock"/> of its own, which the app started on it then shares.</summary>
    public static SandboxHost StartSandbox(Action<SandboxOptions>? configure = null) =>
        SandboxHost.StartAsync(options =>
        {
            options.ControlEnabled = true;
            options.TimeScale = 0.001;
            options.SuccessDelay = TimeSpan.FromMilliseconds(300);
            options.LongProcessingDelay = TimeSpan.FromSeconds(2);
            configure?.Invoke(options);
        }, new TestClock()).GetAwaiter().GetResult();

    public static string PayoutMessage(string tradeNo, long amount = 120, string mobile = TestMobiles.Success, string? extra = null) =>
        $$"""{"tradeNo":"{{tradeNo}}","amount":{{amount}},"mobile":"{{mobile}}","remark":"test","metadata":"""
            + $$"""{"correlationId":"c-{{tradeNo}}"}{{extra}}}""";

    public async Task EnqueueAsync(string queue, string text)
    {
        var client = Queues.GetQueueClient(queue);
        await client.CreateIfNotExistsAsync();
        await client.SendMessageAsync(text);
    }

    public Task EnqueuePayoutAsync(string tradeNo, long amount = 120, string mobile = TestMobiles.Success) =>
        EnqueueAsync(PayoutsQueue, PayoutMessage(tradeNo, amount, mobile));

    public Task EnqueuePayinAsync(string tradeNo, long amount = 120, string mobile = TestMobiles.Success) =>
        EnqueueAsync(PayinsQueue, PayoutMessage(tradeNo, amount, mobile));

    public Task<TransactionRecord?> GetAsync(string tradeNo) => UncountedStore.GetAsync(tradeNo, CancellationToken.None);

    public async Task<TransactionRecord> WaitForStateAsync(
        string tradeNo,
        Func<TransactionState, bool> condition,
        string what,
        TimeSpan? timeout = null)
    {
        TransactionRecord? record = null;
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                record = await GetAsync(tradeNo);
                return record is not null && condition(record.State);
            }, $"{tradeNo} is {what}", timeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} (last seen: {record?.State.ToWire() ?? "absent"})", ex);
        }
        return record!;
    }

    public Task<TransactionRecord> WaitForStateAsync(string tradeNo, TransactionState state, TimeSpan? timeout = null) =>
        WaitForStateAsync(tradeNo, s => s == state, state.ToWire(), timeout);

    /// <summary>Runs the poller once, as the timer would.</summary>
    public async Task PollAsync()
    {
        using var scope = App.Services.CreateScope();
        var poll = ActivatorUtilities.CreateInstance<PollPendingTransactions>(scope.ServiceProvider);
        await poll.Run(new TimerInfo(), CancellationToken.None);
    }

    /// <summary>
    /// Polls until <paramref name="tradeNo"/> reaches <paramref name="state"/> or the deadline passes. Each round first
    /// skips the clock past the longest back-off (<see cref="MaxBackoff"/>), so every pending transaction is due
    /// without waiting for it.
    /// </summary>
    public async Task<TransactionRecord> PollUntilAsync(string tradeNo, TransactionState state, TimeSpan? timeout = null)
    {
        TransactionRecord? record = null;
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                Clock.Skip(MaxBackoff);
                await PollAsync();
                record = await GetAsync(tradeNo);
                return record?.State == state;
            }, $"{tradeNo} is {state.ToWire()} through polling", timeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} (last seen: {record?.State.ToWire() ?? "absent"})", ex);
        }
        return record!;
    }

    /// <summary>Every event received on the events queue so far (received and deleted, kept here).</summary>
    public Task<IReadOnlyList<JsonElement>> EventsAsync() => _events.ReadAsync();

    public Task<IReadOnlyList<JsonElement>> EventsForAsync(string tradeNo) => _events.ReadAsync(tradeNo);

    public async Task<IReadOnlyList<JsonElement>> WaitForEventsAsync(string tradeNo, int count, TimeSpan? timeout = null)
    {
        IReadOnlyList<JsonElement> events = [];
        await Eventually.UntilAsync(
            async () => (events = await EventsForAsync(tradeNo)).Count >= count,
            $"{count} event(s) for {tradeNo} (seen {events.Count})",
            timeout);
        return events;
    }

    /// <summary>
    /// Audit rows: a transaction's (in its partition of the transactions table, row keys <c>audit|</c>…), or those of a
    /// partition of the audit table (<see cref="IOperationsStore.Refused"/>, <see cref="IOperationsStore.Unmatched"/>).
    /// </summary>
    public async Task<List<TableEntity>> AuditAsync(string partition)
    {
        var aside = partition is IOperationsStore.Refused or IOperationsStore.Unmatched;
        var table = Tables.GetTableClient(TablePrefix + (aside ? "Audit" : "Transactions"));
        var filter = aside
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partition}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {"audit|"} and RowKey lt {"audit}"}");
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter))
        {
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Messages in a queue (peeked, not removed).</summary>
    public async Task<IReadOnlyList<string>> PeekAsync(string queue)
    {
        var client = Queues.GetQueueClient(queue);
        if (!await client.ExistsAsync())
        {
            return [];
        }
        return (await client.PeekMessagesAsync(32)).Value.Select(m => m.Body.ToString()).ToList();
    }

    /// <summary>Messages in a queue, invisible ones (being processed, or waiting for a retry) included.</summary>
    public async Task<int> QueueLengthAsync(string queue)
    {
        var client = Queues.GetQueueClient(queue);
        return await client.ExistsAsync() ? (await client.GetPropertiesAsync()).Value.ApproximateMessagesCount : 0;
    }

    /// <summary>Signs <paramref name="fields"/> as Paypro does and posts them to the notify URL.</summary>
    public Task<HttpResponseMessage> PostSignedNotifyAsync(
        IEnumerable<KeyValuePair<string, string?>> fields,
        string? secret = null,
        string? rawAmount = null) =>
        PostNotifyAsync(NotifyBodies.Signed(fields, secret ?? Sandbox.Options.AppSecret, rawAmount: rawAmount));

    public Task<HttpResponseMessage> PostNotifyAsync(string body) =>
        Http.PostAsync(NotifyUrl.PathAndQuery, new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>A GET on the operator's API, with the function key.</summary>
    public Task<HttpResponseMessage> GetApiAsync(string path) => Http.GetAsync($"/api/{path}?code={FunctionKey}");

    /// <summary>A POST without a body on the operator's API, with the function key.</summary>
    public Task<HttpResponseMessage> PostApiAsync(string path) => Http.PostAsync($"/api/{path}?code={FunctionKey}", null);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(_contentRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static Uri NotifyUrlOf(Uri baseAddress) => new(baseAddress, $"/api/paypro/notify?code={FunctionKey}");

    /// <summary>The address Kestrel bound for <c>http://127.0.0.1:0</c>.</summary>
    private static Uri ListeningAddress(IServiceProvider services) =>
        new(services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

    /// <summary>
    /// Paypro:NotifyUrl, the app's own address with the function key, which is known only once the server listens
    /// (on port 0). The app reads these options once, when its TransactionSubmitter is first built on a function's
    /// first invocation, and the development host starts its queue listeners before the server binds: so the value
    /// is made when first read, after the host has started (a message already queued waits that moment out).
    /// Start-up validation reads the options through IOptionsMonitor, which this leaves as configured. A
    /// Paypro:NotifyUrl in the settings is used as it is.
    /// </summary>
    private sealed class NotifyUrlOnceListening(
        IOptionsFactory<PayproAppOptions> factory,
        IHostApplicationLifetime lifetime,
        IServiceProvider services)
        : IOptions<PayproAppOptions>
    {
        private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
        private PayproAppOptions? _value;

        public PayproAppOptions Value => LazyInitializer.EnsureInitialized(ref _value, () =>
        {
            var options = factory.Create(Options.DefaultName);
            if (options.NotifyUrl is null)
            {
                if (!lifetime.ApplicationStarted.WaitHandle.WaitOne(StartTimeout))
                {
                    throw new InvalidOperationException(
                        $"The app had not started {StartTimeout.TotalSeconds:0} s after its notify URL was first needed.");
                }
                options.NotifyUrl = NotifyUrlOf(ListeningAddress(services));
            }
            return options;
        });
    }
}
