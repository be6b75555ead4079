using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Paypro.Load;

/// <summary>
/// The app on the development host as a child process (the build puts the host beside this tool), so a scenario
/// can kill it as an instance dies: SIGKILL, no shutdown, no finally blocks. Started again on the same port, so
/// Paypro's notify URL stays valid. Only the process this class started is ever signalled, by its handle.
/// </summary>
public sealed class ChildApp : IAsyncDisposable
{
    private const string HostAssembly = "Paypro.Functions.DevHost.dll";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);
    private const int MaxOutputLines = 400;

    private readonly string _workingDirectory;
    private readonly int _port;
    private readonly IReadOnlyList<string> _arguments;
    private readonly Queue<string> _output = new();
    private Process? _process;

    public ChildApp(string workingDirectory, int port, IReadOnlyList<string> arguments)
    {
        _workingDirectory = workingDirectory;
        _port = port;
        _arguments = arguments;
    }

    public int Starts { get; private set; }
    public int Kills { get; private set; }

    /// <summary>The last lines the app wrote (all its runs), to explain a failure.</summary>
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

    /// <summary>Starts the process and waits until it listens; fails with its output if it exits first.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The app is running already.");
        }
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var process = Launch();
            _process = process;
            Starts++;
            while (!await Loopback.IsListeningAsync(_port, cancellationToken))
            {
                if (process.HasExited || clock.Elapsed > StartTimeout)
                {
                    break;
                }
                await Task.Delay(100, cancellationToken);
            }
            if (!process.HasExited && clock.Elapsed <= StartTimeout)
            {
                return;
            }
            if (!process.HasExited)
            {
                await KillProcessAsync(process);
                throw new LoadSetupException($"The app did not listen on port {_port} within {StartTimeout.TotalSeconds:0} s. Its last output:\n{Tail}");
            }
            // The port may still be held for a moment after a kill; try again until the deadline.
            if (clock.Elapsed > StartTimeout || !Tail.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new LoadSetupException($"The app exited with code {process.ExitCode} before listening on port {_port}. Its last output:\n{Tail}");
            }
            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>kill -9: the process gets no chance to finish anything.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            Kills++;
            await KillProcessAsync(process);
        }
    }

    /// <summary>A graceful stop (SIGTERM), killed if it does not end within a grace period.</summary>
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
        await KillProcessAsync(process);
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
            throw new LoadSetupException($"{HostAssembly} and its runtimeconfig.json are not beside the tool ({AppContext.BaseDirectory}); " +
                "build tests/Paypro.Load, which references the development host.");
        }
        return path;
    }

    private Process Launch()
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
        foreach (var argument in _arguments)
        {
            info.ArgumentList.Add(argument);
        }
        // Nothing from this tool's own environment decides the app's settings: the arguments do.
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        info.Environment["DOTNET_gcServer"] = "1";
        var process = Process.Start(info) ?? throw new LoadSetupException("Could not start the development host.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
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
        lock (_output)
        {
            _output.Enqueue(line.Length > 2_000 ? line[..2_000] + "…" : line);
            while (_output.Count > MaxOutputLines)
            {
                _output.Dequeue();
            }
        }
    }

    /// <summary>The dotnet executable that runs this tool, so the app runs on the same runtime.</summary>
    private static string DotnetHost()
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
