using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Paypro.Load;

/// <summary>
/// Azurite's Table and Queue services (the copy pinned in tests/package.json) as two child processes on free
/// loopback ports, both in memory. Disposing kills both processes (only these two, by their handles).
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account; public, protects nothing.</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private const int MaxPortAttempts = 3;

    private readonly string _workFolder;
    private readonly List<ChildProcess> _processes = [];

    private Azurite(string workFolder) => _workFolder = workFolder;

    public int TablePort { get; private set; }
    public int QueuePort { get; private set; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};";

    public TableServiceClient CreateTableServiceClient() => new(ConnectionString);

    /// <summary>Base64 message encoding, as queue triggers expect and as the app writes events.</summary>
    public QueueServiceClient CreateQueueServiceClient() => new(ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    /// <summary>Starts both services; throws with a clear message when Azurite is not installed.</summary>
    public static async Task<Azurite> StartAsync(string repositoryRoot, CancellationToken cancellationToken)
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
        var azurite = new Azurite(folder);
        try
        {
            azurite.QueuePort = await azurite.StartOnFreePortAsync(queue, port => ["--queueHost", "127.0.0.1", "--queuePort", port], cancellationToken);
            azurite.TablePort = await azurite.StartOnFreePortAsync(table, port => ["--tableHost", "127.0.0.1", "--tablePort", port], cancellationToken);
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    private async Task<int> StartOnFreePortAsync(string executable, Func<string, string[]> arguments, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = Loopback.FreePort();
            var process = ChildProcess.Start(executable, arguments(port.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Concat(["--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"]), _workFolder);
            _processes.Add(process);
            var clock = Stopwatch.StartNew();
            while (!await Loopback.IsListeningAsync(port, cancellationToken))
            {
                if (process.HasExited)
                {
                    break;
                }
                if (clock.Elapsed > StartTimeout)
                {
                    throw new LoadSetupException($"{Path.GetFileName(executable)} did not listen on 127.0.0.1:{port} within {StartTimeout.TotalSeconds:0} s: {process.Output}");
                }
                await Task.Delay(50, cancellationToken);
            }
            if (!process.HasExited)
            {
                return port;
            }
            var output = process.Output;
            if (attempt >= MaxPortAttempts)
            {
                throw new LoadSetupException($"{Path.GetFileName(executable)} exited before listening on 127.0.0.1:{port}: {output}");
            }
            // Another process took the port between probing and binding; pick another.
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.KillAsync();
        }
        _processes.Clear();
        try
        {
            Directory.Delete(_workFolder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private sealed class ChildProcess
    {
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

        public async Task KillAsync()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await _process.WaitForExitAsync(wait.Token);
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
    }
}

/// <summary>A failure to set up the scenario (not a measurement): exit code 2.</summary>
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
