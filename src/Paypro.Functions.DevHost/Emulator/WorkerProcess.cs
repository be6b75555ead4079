using System.Diagnostics;
using System.Text.Json;
using Paypro.Functions.Configuration;

namespace Paypro.Functions.DevHost.Emulator;

/// <summary>How worker.config.json says to start the worker, read as the host reads it.</summary>
internal sealed record WorkerConfig(
    string Directory,
    string ExecutablePath,
    string WorkerPath,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<string> WorkerArguments)
{
    public const string FileName = "worker.config.json";

    public static WorkerConfig Read(string directory)
    {
        directory = Path.GetFullPath(directory);
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            throw new WorkerStartupException($"{DevelopmentHost.WorkerDirectorySetting} is '{directory}', which has no {FileName}: " +
                "point it at the output of the function app's build or publish " +
                "(the folder with worker.config.json and functions.metadata).");
        }
        using var document = JsonDocument.Parse(
            File.ReadAllBytes(path),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!HostSettings.TryGetPropertyIgnoreCase(document.RootElement, "description", out var description)
            || description.ValueKind != JsonValueKind.Object)
        {
            throw new WorkerStartupException($"{path} has no description object.");
        }
        string? Text(string name) =>
            HostSettings.TryGetPropertyIgnoreCase(description, name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        IReadOnlyList<string> List(string name) =>
            HostSettings.TryGetPropertyIgnoreCase(description, name, out var value) && value.ValueKind == JsonValueKind.Array
                ? [.. value.EnumerateArray().Select(item => item.GetString() ?? "")]
                : [];
        var workerPath = Text("defaultWorkerPath") ?? throw new WorkerStartupException($"{path} names no defaultWorkerPath.");
        var executable = Text("defaultExecutablePath") is { Length: > 0 } named ? named : "dotnet";
        return new WorkerConfig(
            directory,
            ResolveExecutable(executable, directory),
            Path.Combine(directory, workerPath),
            List("arguments"),
            List("workerArguments"));
    }

    /// <summary>"dotnet" is the .NET host this process runs on, when it runs on one; a relative path is the worker folder's.</summary>
    private static string ResolveExecutable(string executable, string directory)
    {
        if (string.Equals(executable, "dotnet", StringComparison.OrdinalIgnoreCase)
            || string.Equals(executable, "dotnet.exe", StringComparison.OrdinalIgnoreCase))
        {
            return Environment.ProcessPath is { } self
                    && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
                ? self
                : executable;
        }
        return Path.IsPathRooted(executable) || !executable.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? executable
            : Path.Combine(directory, executable);
    }
}

/// <summary>
/// The worker could not start, or stopped before it was ready; the message says why, in the worker's own words when it gave any.
/// </summary>
internal sealed class WorkerStartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The worker as a process of its own, started the way the host starts it: the command line of worker.config.json,
/// then <c>--host --port --workerId --requestId --grpcMaxMessageLength</c> and their <c>--functions-*</c> twins, with
/// the app settings and <c>FUNCTIONS_WORKER_DIRECTORY</c>, <c>FUNCTIONS_APPLICATION_DIRECTORY</c> and
/// <c>FUNCTIONS_WORKER_RUNTIME_VERSION</c> in its environment. Its console output goes to the emulator's log, and the
/// last lines are kept to explain an early exit.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    /// <summary>The host's default gRPC message limit.</summary>
    public const int GrpcMaxMessageLength = int.MaxValue;

    private const int KeptLines = 40;
    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    /// <summary>Completes with the exit code when the process ends, whatever ended it.</summary>
    public Task<int> Exited => _exited.Task;

    public static WorkerProcess Start(
        WorkerConfig config,
        Uri hostEndpoint,
        string workerId,
        string requestId,
        IEnumerable<KeyValuePair<string, string>> environment,
        ILogger logger)
    {
        var info = new ProcessStartInfo(config.ExecutablePath)
        {
            WorkingDirectory = config.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in config.Arguments.Append(config.WorkerPath).Concat(config.WorkerArguments))
        {
            info.ArgumentList.Add(argument);
        }
        var maxLength = GrpcMaxMessageLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] hostArguments =
        [
            "--host", hostEndpoint.Host, "--port", hostEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--workerId", workerId, "--requestId", requestId, "--grpcMaxMessageLength", maxLength,
            "--functions-uri", hostEndpoint.AbsoluteUri, "--functions-worker-id", workerId, "--functions-request-id", requestId,
            "--functions-grpc-max-message-length", maxLength,
        ];
        foreach (var argument in hostArguments)
        {
            info.ArgumentList.Add(argument);
        }
        // The emulator's own address settings are not the worker's: its Kestrel listens where HttpUri says.
        foreach (var name in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" })
        {
            info.Environment.Remove(name);
        }
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, line) => worker.OnLine(line.Data, isError: false, logger);
        process.ErrorDataReceived += (_, line) => worker.OnLine(line.Data, isError: true, logger);
        process.Exited += (_, _) => worker.OnExited();
        try
        {
            process.Start();
        }
        catch (Exception ex)
        {
            process.Dispose();
            throw new WorkerStartupException(
                $"The worker could not be started ({config.ExecutablePath} {config.WorkerPath}): {ex.Message}",
                ex);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>What the worker last wrote, stack frames left out: for a worker that stopped at start-up, its own reason.</summary>
    public string LastOutput()
    {
        lock (_lastLines)
        {
            return string.Join(
                Environment.NewLine,
                _lastLines.Where(line => !line.TrimStart().StartsWith("at ", StringComparison.Ordinal)));
        }
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose() => _process.Dispose();

    private void OnLine(string? line, bool isError, ILogger logger)
    {
        if (line is null)
        {
            return;
        }
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > KeptLines)
            {
                _lastLines.Dequeue();
            }
        }
        // The worker's log entries also come over the protocol (RpcLog); its console repeats them, so it is kept to Debug.
        // What it writes to standard error is not repeated anywhere else.
        logger.WorkerOutput(isError ? LogLevel.Warning : LogLevel.Debug, line);
    }

    private void OnExited()
    {
        // The output may still be draining; WaitForExit without a timeout waits for it.
        _process.WaitForExit();
        _exited.TrySetResult(_process.ExitCode);
    }
}
