using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Paypro.Load;

/// <summary>
/// Azurite's Table and Queue services (the copy pinned in tests/package.json) as two child processes on free
/// loopback ports: in memory, or on disk when a scenario stops storage and starts it again (<see cref="StopAsync"/>,
/// <see cref="StartAgainAsync"/>) and needs what was written to survive. Disposing stops both processes (only these
/// two, by their handles).
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account; public, protects nothing.</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private const int MaxPortAttempts = 3;

    private readonly string _workFolder;
    private readonly bool _persistent;
    private readonly string _table;
    private readonly string _queue;
    private ChildProcess? _tableProcess;
    private ChildProcess? _queueProcess;

    private Azurite(string workFolder, bool persistent, string table, string queue)
    {
        _workFolder = workFolder;
        _persistent = persistent;
        _table = table;
        _queue = queue;
    }

    public int TablePort { get; private set; }
    public int QueuePort { get; private set; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};";

    public TableServiceClient CreateTableServiceClient() => new(ConnectionString);

    /// <summary>Base64 message encoding, as queue triggers expect and as the app writes events.</summary>
    public QueueServiceClient CreateQueueServiceClient() => new(ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    /// <summary>Starts both services; throws with a clear message when Azurite is not installed.</summary>
    /// <param name="repositoryRoot">The checkout, whose tests/node_modules holds Azurite.</param>
    /// <param name="persistent">Keep tables and queues on disk, so they survive <see cref="StopAsync"/>; in memory otherwise.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<Azurite> StartAsync(string repositoryRoot, bool persistent, CancellationToken cancellationToken)
    {
        var bin = Path.Combine(repositoryRoot, "tests", "node_modules", ".bin");
        var table = Path.Combine(bin, "azurite-table");
        var queue = Path.Combine(bin, "azurite-queue");
        foreach (var executable in new[] { table, queue })
        {
            if (!File.Exists(executable))
            {
                throw new LoadSetupException($"Azurite is not installed: run `npm ci --prefix tests` from {repositoryRoot} (looked for {executable}; Node.js 20+ is needed).");
            }
        }

        var folder = Path.Combine(Path.GetTempPath(), "paypro-load-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var azurite = new Azurite(folder, persistent, table, queue);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var port = Loopback.FreePort();
                if (await azurite.TryStartQueueAsync(port, attempt >= MaxPortAttempts, cancellationToken))
                {
                    azurite.QueuePort = port;
                    break;
                }
            }
            for (var attempt = 1; ; attempt++)
            {
                var port = Loopback.FreePort();
                if (await azurite.TryStartTableAsync(port, attempt >= MaxPortAttempts, cancellationToken))
                {
                    azurite.TablePort = port;
                    break;
                }
            }
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops both services, gracefully, so that a persistent Azurite saves what it holds.</summary>
    public async Task StopAsync()
    {
        var stopping = new List<Task>();
        if (Interlocked.Exchange(ref _tableProcess, null) is { } table)
        {
            stopping.Add(table.StopAsync(StopTimeout));
        }
        if (Interlocked.Exchange(ref _queueProcess, null) is { } queue)
        {
            stopping.Add(queue.StopAsync(StopTimeout));
        }
        await Task.WhenAll(stopping);
    }

    /// <summary>Starts both services again on the ports they had, with what they held (a persistent Azurite only).</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        if (!_persistent)
        {
            throw new InvalidOperationException("Only a persistent Azurite keeps its data across a restart.");
        }
        // The ports were just released; something else could take one in between, so allow a few tries.
        var deadline = Stopwatch.StartNew();
        while (_queueProcess is null && !await TryStartQueueAsync(QueuePort, deadline.Elapsed > StartTimeout, cancellationToken))
        {
            await Task.Delay(200, cancellationToken);
        }
        while (_tableProcess is null && !await TryStartTableAsync(TablePort, deadline.Elapsed > StartTimeout, cancellationToken))
        {
            await Task.Delay(200, cancellationToken);
        }
    }

    private async Task<bool> TryStartQueueAsync(int port, bool lastAttempt, CancellationToken cancellationToken)
    {
        var process = await StartOnPortAsync(_queue, ["--queueHost", "127.0.0.1", "--queuePort", Text(port)], port, lastAttempt, cancellationToken);
        _queueProcess = process;
        return process is not null;
    }

    private async Task<bool> TryStartTableAsync(int port, bool lastAttempt, CancellationToken cancellationToken)
    {
        var process = await StartOnPortAsync(_table, ["--tableHost", "127.0.0.1", "--tablePort", Text(port)], port, lastAttempt, cancellationToken);
        _tableProcess = process;
        return process is not null;
    }

    /// <returns>The running service, or null when it exited before listening (the port was taken) and this was not the last attempt.</returns>
    private async Task<ChildProcess?> StartOnPortAsync(string executable, string[] arguments, int port, bool lastAttempt, CancellationToken cancellationToken)
    {
        string[] storage = _persistent ? ["--location", _workFolder] : ["--inMemoryPersistence"];
        var process = ChildProcess.Start(executable, arguments.Concat(storage).Concat(["--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"]), _workFolder);
        var clock = Stopwatch.StartNew();
        while (!await Loopback.IsListeningAsync(port, cancellationToken))
        {
            if (process.HasExited)
            {
                break;
            }
            if (clock.Elapsed > StartTimeout)
            {
                await process.StopAsync(TimeSpan.Zero);
                throw new LoadSetupException($"{Path.GetFileName(executable)} did not listen on 127.0.0.1:{port} within {StartTimeout.TotalSeconds:0} s: {process.Output}");
            }
            await Task.Delay(50, cancellationToken);
        }
        if (!process.HasExited)
        {
            return process;
        }
        var output = process.Output;
        await process.StopAsync(TimeSpan.Zero);
        if (lastAttempt)
        {
            throw new LoadSetupException($"{Path.GetFileName(executable)} exited before listening on 127.0.0.1:{port}: {output}");
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(_workFolder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private sealed class ChildProcess
    {
        private const int SigInt = 2;

        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private ChildProcess(Process process) => _process = process;

        public bool HasExited => _process.HasExited;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString().Trim();
                }
            }
        }

        public static ChildProcess Start(string executable, IEnumerable<string> arguments, string workingDirectory)
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
            var process = Process.Start(info) ?? throw new LoadSetupException($"Could not start {executable}.");
            var child = new ChildProcess(process);
            process.OutputDataReceived += (_, e) => child.Append(e.Data);
            process.ErrorDataReceived += (_, e) => child.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return child;
        }

        /// <summary>
        /// SIGINT first: Azurite saves its data when it closes on SIGINT (it installs no SIGTERM handler). Killed
        /// (with its process tree) when it has not exited within <paramref name="grace"/>.
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
                            await _process.WaitForExitAsync(wait.Token);
                        }
                        catch (OperationCanceledException)
                        {
                        }
                    }
                    if (!_process.HasExited)
                    {
                        _process.Kill(entireProcessTree: true);
                        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                        await _process.WaitForExitAsync(wait.Token);
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
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
                // Keep the start of the output only: enough to explain a failed start.
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

/// <summary>A failure to set up a scenario (not a measurement): exit code 2.</summary>
public sealed class LoadSetupException(string message) : Exception(message);

internal static class Loopback
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
