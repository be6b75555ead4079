using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Paypro.Load;

/// <summary>
/// The app as deployed, as a child process: the development host as a host emulator (the build puts it beside this
/// tool), which starts the real worker (<c>Paypro.Functions.dll</c>) as a process of its own and drives it over the
/// Functions host's gRPC protocol. A scenario can kill the worker alone (the emulator restarts it, as the host does)
/// or the whole instance, the emulator and its worker together: SIGKILL, no shutdown, no finally blocks. Started
/// again on the same port, so Paypro's notify URL stays valid. Only the emulator this class started and the worker
/// the emulator started are ever signalled.
/// </summary>
public sealed partial class ChildApp : IAsyncDisposable
{
    private const string HostAssembly = "Paypro.Functions.DevHost.dll";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);
    private const int MaxOutputLines = 400;

    private readonly string _workingDirectory;
    private readonly int _port;
    private readonly Queue<string> _output = new();
    private readonly List<int> _readyWorkers = [];
    private readonly List<long> _workerStarts = [];
    private Process? _process;

    /// <summary>
    /// The emulator's log of the workers it starts, on its command line: this class learns each worker's process id
    /// from it (events 2031 and 2032), whatever level the rest of the log is at.
    /// </summary>
    public const string WorkerLogArgument = "--Logging:LogLevel:Paypro.Functions.DevHost.Worker=Information";

    public ChildApp(string workingDirectory, int port)
    {
        _workingDirectory = workingDirectory;
        _port = port;
    }

    public int Starts { get; private set; }

    /// <summary>Workers killed alone, each restarted by the emulator.</summary>
    public int WorkerKills { get; private set; }

    /// <summary>Instances killed: the emulator and its worker together.</summary>
    public int InstanceKills { get; private set; }

    /// <summary>Workers still running 10 s after their instance was killed (orphans): 0 unless a kill went wrong.</summary>
    public int OrphanedWorkers { get; private set; }

    /// <summary>When the emulator process was last launched (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long LaunchedAt { get; private set; }

    /// <summary>
    /// The worker processes that became ready, in order, from the emulator's log (event 2032, "Worker process N is
    /// ready"): a restart by the emulator adds one, and so does a new instance.
    /// </summary>
    public IReadOnlyList<int> ReadyWorkers
    {
        get
        {
            lock (_readyWorkers)
            {
                return [.. _readyWorkers];
            }
        }
    }

    /// <summary>
    /// When each worker process was started, from the emulator's log (event 2031, "Worker process N started"), noted
    /// as the line arrives (<see cref="Stopwatch.GetTimestamp"/>).
    /// </summary>
    public IReadOnlyList<long> WorkerStarts
    {
        get
        {
            lock (_readyWorkers)
            {
                return [.. _workerStarts];
            }
        }
    }

    /// <summary>The last lines the emulator wrote (all its runs), to explain a failure.</summary>
    public string Tail
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>
    /// Starts the emulator with <paramref name="arguments"/> and waits until it listens, which it does once its worker
    /// is ready; fails with its output if it exits first.
    /// </summary>
    public async Task StartAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The app is running already.");
        }
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var workersBefore = ReadyWorkers.Count;
            var process = Launch(arguments);
            _process?.Dispose();
            _process = process;
            Starts++;
            while (!(await Loopback.IsListeningAsync(_port, cancellationToken) && ReadyWorkers.Count > workersBefore))
            {
                if (process.HasExited || clock.Elapsed > StartTimeout)
                {
                    break;
                }
                await Task.Delay(50, cancellationToken);
            }
            if (!process.HasExited && clock.Elapsed <= StartTimeout)
            {
                return;
            }
            if (!process.HasExited)
            {
                await KillInstanceProcessesAsync(process);
                throw new LoadSetupException(
                    $"The app did not listen on port {_port} with its worker ready within {StartTimeout.TotalSeconds:0} s. " +
                    $"Its last output:\n{Tail}");
            }
            // The port may still be held for a moment after a kill; try again until the deadline.
            if (clock.Elapsed > StartTimeout || !Tail.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new LoadSetupException(
                    $"The app exited with code {process.ExitCode} before listening on port {_port}. Its last output:\n{Tail}");
            }
            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>kill -9 of the worker alone, then waits until the emulator has started a new one and it is ready.</summary>
    public async Task KillWorkerAsync(CancellationToken cancellationToken)
    {
        var emulator = _process ?? throw new InvalidOperationException("The app is not running.");
        var ready = ReadyWorkers;
        using var worker = WorkerOf(emulator)
            ?? throw new LoadSetupException(
                $"The emulator (process {emulator.Id}) has no live worker to kill. Its last output:\n{Tail}");
        WorkerKills++;
        worker.Kill();
        var deadline = Stopwatch.StartNew();
        while (ReadyWorkers.Count == ready.Count)
        {
            if (emulator.HasExited || deadline.Elapsed > StartTimeout)
            {
                throw new LoadSetupException(
                    $"The emulator did not start a new worker within {StartTimeout.TotalSeconds:0} s of the kill. " +
                    $"Its last output:\n{Tail}");
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>kill -9 of the whole instance: the emulator and its worker, which a killed emulator would leave running.</summary>
    public async Task KillInstanceAsync()
    {
        if (_process is { } process)
        {
            InstanceKills++;
            await KillInstanceProcessesAsync(process);
        }
    }

    /// <summary>A graceful stop (SIGTERM: the emulator stops its worker), killed if it does not end within a grace period.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }
        try
        {
            if (!process.HasExited && Signal(process.Id, SigTerm) == 0)
            {
                using var wait = new CancellationTokenSource(StopGrace);
                try
                {
                    await process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
        catch (InvalidOperationException)
        {
        }
        await KillInstanceProcessesAsync(process);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        _process = null;
    }

    /// <summary>The development host's assembly beside this tool, with its runtime configuration.</summary>
    public static string HostPath()
    {
        var path = Path.Combine(AppContext.BaseDirectory, HostAssembly);
        if (!File.Exists(path) || !File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
        {
            throw new LoadSetupException(
                $"{HostAssembly} and its runtimeconfig.json are not beside the tool ({AppContext.BaseDirectory}); " +
                "build tests/Paypro.Load, which references the development host.");
        }
        return path;
    }

    private Process Launch(IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = _workingDirectory,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(HostPath());
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        // Nothing from this tool's own environment decides the app's settings: the arguments do. Nor its garbage
        // collector: the emulator's and the worker's come from their own runtimeconfig.json (the worker's is
        // workstation, as deployed), which a DOTNET_gcServer inherited from here would override in both.
        foreach (var name in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "DOTNET_gcServer" })
        {
            info.Environment.Remove(name);
        }
        LaunchedAt = Stopwatch.GetTimestamp();
        var process = Process.Start(info) ?? throw new LoadSetupException("Could not start the development host.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// The processor time the running instance has used so far, user and system together: the emulator's and its current
    /// worker's. The difference over a stretch of load is what the app as deployed spent on it, the Functions host's
    /// stand-in apart; a worker the emulator restarted starts again from zero.
    /// </summary>
    public (TimeSpan Emulator, TimeSpan Worker) ProcessorTime()
    {
        var emulator = _process ?? throw new InvalidOperationException("The app is not running.");
        emulator.Refresh();
        using var worker = WorkerOf(emulator)
            ?? throw new LoadSetupException($"The emulator (process {emulator.Id}) has no live worker. Its last output:\n{Tail}");
        return (emulator.TotalProcessorTime, worker.TotalProcessorTime);
    }

    /// <summary>
    /// The emulator's current worker: the last one it reported ready, if that process is alive and still the
    /// emulator's child (so a recycled process id is never signalled).
    /// </summary>
    private Process? WorkerOf(Process emulator)
    {
        var ready = ReadyWorkers;
        if (ready.Count == 0 || emulator.HasExited || ParentOf(ready[^1]) != emulator.Id)
        {
            return null;
        }
        try
        {
            return Process.GetProcessById(ready[^1]);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// The parent process id from /proc/PID/stat (the field after the parenthesised name), or null when the process is gone.
    /// </summary>
    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] == "Z" ? null : int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL of the emulator, then of its worker (orphaned for that moment, never left running).</summary>
    private async Task KillInstanceProcessesAsync(Process emulator)
    {
        using var worker = WorkerOf(emulator);
        await KillProcessAsync(emulator);
        if (worker is null)
        {
            return;
        }
        try
        {
            worker.Kill();
        }
        catch (InvalidOperationException)
        {
            // It had exited already.
        }
        // No longer this tool's grandchild but init's: wait for its end by its /proc entry.
        var clock = Stopwatch.StartNew();
        while (ParentOf(worker.Id) is not null)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                OrphanedWorkers++;
                return;
            }
            await Task.Delay(20);
        }
    }

    private static async Task KillProcessAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                // Process.Kill sends SIGKILL on Unix: kill -9.
                process.Kill();
            }
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(wait.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        var at = Stopwatch.GetTimestamp();
        if (WorkerLine().Match(line) is { Success: true } worker)
        {
            lock (_readyWorkers)
            {
                if (worker.Groups[1].Value == "2031")
                {
                    _workerStarts.Add(at);
                }
                else
                {
                    _readyWorkers.Add(int.Parse(worker.Groups[2].Value, CultureInfo.InvariantCulture));
                }
            }
        }
        lock (_output)
        {
            _output.Enqueue(line.Length > 2_000 ? line[..2_000] + "…" : line);
            while (_output.Count > MaxOutputLines)
            {
                _output.Dequeue();
            }
        }
    }

    /// <summary>The emulator's log entries 2031 (a worker started) and 2032 (a worker ready) as its console writes them.</summary>
    [GeneratedRegex(@"\[(2031|2032)\] Worker process (\d+) (?:started|is ready)")]
    private static partial Regex WorkerLine();

    /// <summary>The dotnet executable that runs this tool, so the app runs on the same runtime.</summary>
    internal static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }
        // <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet
        var runtime = new DirectoryInfo(RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar));
        var root = runtime.Parent?.Parent?.Parent;
        var candidate = root is null ? null : Path.Combine(root.FullName, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return candidate is not null && File.Exists(candidate) ? candidate : "dotnet";
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Signal(int pid, int signal);
}
