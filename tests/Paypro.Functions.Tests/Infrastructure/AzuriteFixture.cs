using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Paypro.Functions.Tests.Infrastructure;

/// <summary>
/// Azurite's Table and Queue services on free loopback ports, from the copy pinned in tests/package.json.
/// The two services run as separate processes so a test can stop one alone and start it again on the same
/// port (<see cref="StopTableServiceAsync"/>, <see cref="StartTableServiceAsync"/>, and the same for queues);
/// tables are kept in a temporary folder so their contents survive that restart. Queues live in memory.
/// Share one with <c>[Collection(AzuriteCollection.Name)]</c>, or start a private one with <see cref="StartAsync"/>
/// when a test stops a service.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>Azurite's well-known development account; public, protects nothing.</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly string _tableLocation = Path.Combine(Path.GetTempPath(), "paypro-azurite-" + Guid.NewGuid().ToString("N"));
    private AzuriteProcess? _table;
    private AzuriteProcess? _queue;

    public int TablePort { get; private set; }
    public int QueuePort { get; private set; }

    public Uri TableEndpoint => new($"http://127.0.0.1:{TablePort}/{AccountName}");
    public Uri QueueEndpoint => new($"http://127.0.0.1:{QueuePort}/{AccountName}");

    /// <summary>A shared-key connection string for both services, the value of <c>AzureWebJobsStorage</c>.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};TableEndpoint={TableEndpoint};QueueEndpoint={QueueEndpoint};";

    public bool IsTableServiceRunning => _table is { HasExited: false };

    /// <summary>Starts a private instance (dispose it at the end of the test).</summary>
    public static async Task<AzuriteFixture> StartAsync()
    {
        var azurite = new AzuriteFixture();
        try
        {
            await azurite.InitializeAsync();
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    public TableServiceClient CreateTableServiceClient() => new(ConnectionString);

    /// <summary>A queue client that encodes messages as base64, as queue triggers expect.</summary>
    public QueueServiceClient CreateQueueServiceClient(QueueMessageEncoding encoding = QueueMessageEncoding.Base64) =>
        new(ConnectionString, new QueueClientOptions { MessageEncoding = encoding });

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_tableLocation);
        (_queue, QueuePort) = await StartOnFreePortAsync("azurite-queue", port => ["--queuePort", port, "--inMemoryPersistence"]);
        (_table, TablePort) = await StartOnFreePortAsync("azurite-table", port => ["--tablePort", port, "--location", _tableLocation]);
    }

    /// <summary>Stops Table Storage (gracefully, so what was written is kept); queues keep running.</summary>
    public async Task StopTableServiceAsync()
    {
        if (_table is { } table)
        {
            _table = null;
            await table.StopAsync(StopTimeout);
        }
    }

    /// <summary>Starts Table Storage again on the same port, with the tables it had.</summary>
    public async Task StartTableServiceAsync()
    {
        if (!IsTableServiceRunning)
        {
            _table = await RestartOnPortAsync("azurite-table", ["--tablePort", TablePort.ToString(), "--location", _tableLocation], TablePort);
        }
    }

    /// <summary>Stops Queue Storage; its messages are lost (queues live in memory). Tables keep running.</summary>
    public async Task StopQueueServiceAsync()
    {
        if (_queue is { } queue)
        {
            _queue = null;
            await queue.StopAsync(StopTimeout);
        }
    }

    /// <summary>Starts Queue Storage again on the same port, empty.</summary>
    public async Task StartQueueServiceAsync()
    {
        if (_queue is not { HasExited: false })
        {
            _queue = await RestartOnPortAsync("azurite-queue", ["--queuePort", QueuePort.ToString(), "--inMemoryPersistence"], QueuePort);
        }
    }

    private static async Task<AzuriteProcess> RestartOnPortAsync(string service, string[] arguments, int port)
    {
        // The port was just released; another process could take it in between, so allow a few tries.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AzuriteProcess.StartAsync(service, arguments, port, StartTimeout);
            }
            catch (AzuriteStartException) when (attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_table is { } table)
        {
            await table.StopAsync(StopTimeout);
        }
        if (_queue is { } queue)
        {
            await queue.StopAsync(StopTimeout);
        }
        _table = _queue = null;
        try
        {
            Directory.Delete(_tableLocation, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    private static async Task<(AzuriteProcess Process, int Port)> StartOnFreePortAsync(string service, Func<string, string[]> arguments)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            try
            {
                return (await AzuriteProcess.StartAsync(service, arguments(port.ToString()), port, StartTimeout), port);
            }
            catch (AzuriteStartException) when (attempt < 3)
            {
                // Another process took the port between probing and binding; pick another.
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class AzuriteStartException(string message) : Exception(message);

    private sealed class AzuriteProcess
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private AzuriteProcess(Process process) => _process = process;

        public bool HasExited => _process.HasExited;

        public static async Task<AzuriteProcess> StartAsync(string service, string[] arguments, int port, TimeSpan timeout)
        {
            var executable = FindExecutable(service);
            var info = new ProcessStartInfo(executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Path.GetTempPath(),
            };
            foreach (var argument in arguments.Concat(["--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"]))
            {
                info.ArgumentList.Add(argument);
            }
            var process = Process.Start(info) ?? throw new AzuriteStartException($"Could not start {executable}.");
            var azurite = new AzuriteProcess(process);
            process.OutputDataReceived += (_, e) => azurite.Append(e.Data);
            process.ErrorDataReceived += (_, e) => azurite.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            var clock = Stopwatch.StartNew();
            while (!await IsListeningAsync(port))
            {
                if (process.HasExited)
                {
                    throw new AzuriteStartException($"{service} exited with code {process.ExitCode} before listening on port {port}: {azurite.Output}");
                }
                if (clock.Elapsed > timeout)
                {
                    await azurite.StopAsync(TimeSpan.FromSeconds(5));
                    throw new TimeoutException($"{service} did not listen on port {port} within {timeout.TotalSeconds} s: {azurite.Output}");
                }
                await Task.Delay(50);
            }
            return azurite;
        }

        public async Task StopAsync(TimeSpan timeout)
        {
            if (!_process.HasExited)
            {
                // Azurite saves its tables to disk when it closes on SIGINT (it installs no SIGTERM handler).
                _ = Kill(_process.Id, SigInt);
                using var wait = new CancellationTokenSource(timeout);
                try
                {
                    await _process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
            _process.Dispose();
        }

        private string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }

        private static string FindExecutable(string service)
        {
            var path = Path.Combine(RepositoryPaths.Root, "tests", "node_modules", ".bin", service);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"Azurite is not installed: run `npm ci --prefix tests` (looked for {path}; Node.js 20+ is needed).");
            }
            return path;
        }

        private static async Task<bool> IsListeningAsync(int port)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }

        private const int SigInt = 2;

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int Kill(int pid, int signal);
    }
}

/// <summary>Tests that share one Azurite (and must not stop its services).</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
