using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Paypro.Testing;

/// <summary>Where an Azurite service keeps what it holds.</summary>
public enum AzuriteStorage
{
    /// <summary>In memory: lost when the service stops.</summary>
    InMemory,

    /// <summary>In a folder of the <see cref="Azurite"/> instance: kept when the service stops gracefully and starts again.</summary>
    OnDisk,
}

/// <summary>Azurite is not installed, or a service of it did not start.</summary>
public sealed class AzuriteException(string message) : Exception(message);

/// <summary>
/// Azurite's Table and Queue services, from the copy pinned in tests/package.json (<c>npm ci --prefix tests</c>),
/// as two child processes on loopback. Two processes, so that one service can be stopped alone and started again on
/// the port it had (<see cref="StopTableServiceAsync"/>, <see cref="StartTableServiceAsync"/>, and the same for
/// queues, or both at once with <see cref="StopAsync"/> and <see cref="StartAgainAsync"/>). Disposing stops both
/// (only these two processes, by their handles) and deletes the instance's folder.
/// </summary>
public sealed partial class Azurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account; public, protects nothing.</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly string _folder;
    private readonly Service _table;
    private readonly Service _queue;

    private Azurite(string folder, Service table, Service queue)
    {
        _folder = folder;
        _table = table;
        _queue = queue;
    }

    public int TablePort => _table.Port;
    public int QueuePort => _queue.Port;

    public Uri TableEndpoint => new($"http://127.0.0.1:{TablePort}/{AccountName}");
    public Uri QueueEndpoint => new($"http://127.0.0.1:{QueuePort}/{AccountName}");

    /// <summary>A shared-key connection string for both services, the value of <c>AzureWebJobsStorage</c>.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};"
            + $"TableEndpoint={TableEndpoint};QueueEndpoint={QueueEndpoint};";

    public bool IsTableServiceRunning => _table.IsRunning;
    public bool IsQueueServiceRunning => _queue.IsRunning;

    public TableServiceClient CreateTableServiceClient() => new(ConnectionString);

    /// <summary>A queue client that encodes messages as base64 by default, as queue triggers expect and as the app writes events.</summary>
    public QueueServiceClient CreateQueueServiceClient(QueueMessageEncoding encoding = QueueMessageEncoding.Base64) =>
        new(ConnectionString, new QueueClientOptions { MessageEncoding = encoding });

    /// <summary>Starts both services; fails with what to install when Azurite is missing.</summary>
    /// <param name="repositoryRoot">The checkout, whose tests/node_modules holds Azurite.</param>
    /// <param name="tables">Where Table Storage keeps its tables.</param>
    /// <param name="queues">Where Queue Storage keeps its messages.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="AzuriteException">Azurite is not installed, or a service did not start.</exception>
    public static async Task<Azurite> StartAsync(
        string repositoryRoot,
        AzuriteStorage tables,
        AzuriteStorage queues,
        CancellationToken cancellationToken = default)
    {
        var bin = Path.Combine(repositoryRoot, "tests", "node_modules", ".bin");
        var folder = Path.Combine(Path.GetTempPath(), "paypro-azurite-" + Guid.NewGuid().ToString("N"));
        var table = new Service(
            "azurite-table",
            "table",
            Executable(bin, "azurite-table", repositoryRoot),
            tables,
            folder,
            TableReady(),
            reportsBoundPort: false);
        var queue = new Service(
            "azurite-queue",
            "queue",
            Executable(bin, "azurite-queue", repositoryRoot),
            queues,
            folder,
            QueueReady(),
            reportsBoundPort: true);
        Directory.CreateDirectory(folder);
        var azurite = new Azurite(folder, table, queue);
        try
        {
            await queue.StartAsync(cancellationToken).ConfigureAwait(false);
            await table.StartAsync(cancellationToken).ConfigureAwait(false);
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops Table Storage, gracefully, so that tables on disk are saved; queues keep running.</summary>
    public Task StopTableServiceAsync() => _table.StopAsync(StopTimeout);

    /// <summary>Starts Table Storage again on the port it had.</summary>
    public Task StartTableServiceAsync(CancellationToken cancellationToken = default) => _table.StartAgainAsync(cancellationToken);

    /// <summary>Stops Queue Storage, gracefully; tables keep running.</summary>
    public Task StopQueueServiceAsync() => _queue.StopAsync(StopTimeout);

    /// <summary>Starts Queue Storage again on the port it had.</summary>
    public Task StartQueueServiceAsync(CancellationToken cancellationToken = default) => _queue.StartAgainAsync(cancellationToken);

    /// <summary>Stops both services, gracefully, so that what is on disk is saved.</summary>
    public Task StopAsync() => Task.WhenAll(_table.StopAsync(StopTimeout), _queue.StopAsync(StopTimeout));

    /// <summary>Starts both services again on the ports they had (those on disk with what they held).</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        await _queue.StartAgainAsync(cancellationToken).ConfigureAwait(false);
        await _table.StartAgainAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static string Executable(string bin, string name, string repositoryRoot)
    {
        var path = Path.Combine(bin, name);
        if (!File.Exists(path))
        {
            throw new AzuriteException(
                $"Azurite is not installed: run `npm ci --prefix tests` from {repositoryRoot} (looked for {path}; Node.js 20+ is needed).");
        }
        return path;
    }

    // What each service prints once it listens (src/queue/main.ts and src/table/main.ts of Azurite 3.35). The queue
    // service prints the address it is bound to, so it starts on port 0; the table service prints the port it was
    // given, 0 when given 0, so it starts on a probed port (FreeLoopbackPort).
    [GeneratedRegex(@"^Azurite Queue service successfully listens on https?://[^\s]+:(?<port>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex QueueReady();

    [GeneratedRegex(@"^Azurite Table service successfully started on [^\s]+:(?<port>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex TableReady();

    /// <summary>One Azurite service: its process, and the port it keeps across restarts.</summary>
    private sealed class Service(
        string name,
        string kind,
        string executable,
        AzuriteStorage storage,
        string folder,
        Regex ready,
        bool reportsBoundPort)
    {
        private const int MaxPortAttempts = 3;
        private ChildProcess? _process;

        public int Port { get; private set; }

        public bool IsRunning => _process is { HasExited: false };

        /// <summary>The first start: on port 0 when the service reports the port it got, on a probed free port otherwise.</summary>
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            for (var attempt = 1; ; attempt++)
            {
                var port = reportsBoundPort ? 0 : FreeLoopbackPort.Probe();
                var (process, started) = await ChildProcess
                    .StartAsync(name, executable, Arguments(port), folder, ready, StartTimeout, cancellationToken)
                    .ConfigureAwait(false);
                if (process is not null)
                {
                    (_process, Port) = (process, started.Port);
                    return;
                }
                if (reportsBoundPort || attempt >= MaxPortAttempts)
                {
                    throw new AzuriteException($"{name} exited before listening on 127.0.0.1:{port}: {started.Output}");
                }
                // Another process took the probed port before Azurite bound it; probe another.
            }
        }

        /// <summary>Starts the service again on the port it had; that port was just released, so a few tries are allowed.</summary>
        public async Task StartAgainAsync(CancellationToken cancellationToken)
        {
            if (IsRunning)
            {
                return;
            }
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var (process, started) = await ChildProcess
                    .StartAsync(name, executable, Arguments(Port), folder, ready, StartTimeout, cancellationToken)
                    .ConfigureAwait(false);
                if (process is not null)
                {
                    _process = process;
                    return;
                }
                if (clock.Elapsed > StartTimeout)
                {
                    throw new AzuriteException($"{name} exited before listening on 127.0.0.1:{Port} again: {started.Output}");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task StopAsync(TimeSpan grace)
        {
            if (Interlocked.Exchange(ref _process, null) is { } process)
            {
                await process.StopAsync(grace).ConfigureAwait(false);
            }
        }

        private IEnumerable<string> Arguments(int port)
        {
            string[] where = storage == AzuriteStorage.OnDisk ? ["--location", folder] : ["--inMemoryPersistence"];
            return [$"--{kind}Host", "127.0.0.1", $"--{kind}Port", port.ToString(CultureInfo.InvariantCulture), .. where,
                "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"];
        }
    }

    private readonly record struct Started(int Port, string Output);

    /// <summary>A service's node process, with the start of its output to explain a failed start.</summary>
    private sealed class ChildProcess
    {
        private const int SigInt = 2;
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private ChildProcess(Process process) => _process = process;

        public bool HasExited => _process.HasExited;

        private string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString().Trim();
                }
            }
        }

        /// <summary>
        /// Starts the service and waits until it prints that it listens. Returns the process and the port it
        /// printed, or no process (and its output) when it exited first, as it does when the port is taken.
        /// </summary>
        public static async Task<(ChildProcess? Process, Started Started)> StartAsync(
            string name,
            string executable,
            IEnumerable<string> arguments,
            string workingDirectory,
            Regex ready,
            TimeSpan timeout,
            CancellationToken cancellationToken)
        {
            var info = new ProcessStartInfo(executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory,
            };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }
            var process = Process.Start(info) ?? throw new AzuriteException($"Could not start {executable}.");
            var child = new ChildProcess(process);
            var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                child.Append(e.Data);
                if (e.Data is { } line && ready.Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture));
                }
            };
            process.ErrorDataReceived += (_, e) => child.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(timeout);
            var exited = process.WaitForExitAsync(wait.Token);
            await Task.WhenAny(listening.Task, exited).ConfigureAwait(false);
            if (listening.Task.IsCompletedSuccessfully)
            {
                return (child, new Started(listening.Task.Result, ""));
            }
            if (exited.IsCompletedSuccessfully)
            {
                var output = child.Output;
                await child.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
                return (null, new Started(0, output));
            }
            await child.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new AzuriteException($"{name} did not say it listens within {timeout.TotalSeconds:0} s: {child.Output}");
        }

        /// <summary>
        /// SIGINT first: Azurite saves what it holds on disk when it closes on SIGINT (it installs no SIGTERM
        /// handler). Killed, with its process tree, when it has not exited within <paramref name="grace"/>.
        /// </summary>
        public async Task StopAsync(TimeSpan grace)
        {
            try
            {
                if (!_process.HasExited)
                {
                    if (grace > TimeSpan.Zero && Kill(_process.Id, SigInt) == 0)
                    {
                        using var wait = new CancellationTokenSource(grace);
                        try
                        {
                            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                        }
                    }
                    if (!_process.HasExited)
                    {
                        _process.Kill(entireProcessTree: true);
                        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                        await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex)
                when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
            {
                // Gone already, or would not die within the wait: nothing more this process may do about it.
            }
            finally
            {
                _process.Dispose();
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
                // The start of the output is enough to explain a failed start.
                if (_output.Length < 8_000)
                {
                    _output.AppendLine(line);
                }
            }
        }

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int Kill(int pid, int signal);
    }
}
