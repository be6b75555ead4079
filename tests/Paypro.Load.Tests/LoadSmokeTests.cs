using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Paypro.Load.Tests;

/// <summary>
/// Runs the smoke of every scenario of the proof suite (a few dozen operations each), as a separate process,
/// exactly as <c>dotnet run --project tests/Paypro.Load -- all --smoke</c> does, so the tool cannot rot. Its exit
/// code is the verdict: 0 only when every scenario ran and every budget a smoke run judges (the counted ones:
/// round trips, Paypro calls, paid twice, lost, state changes, answers) was met. Timings are reported, not judged:
/// a few dozen operations on a shared CI machine say nothing about them.
/// </summary>
public sealed class LoadSmokeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task Every_scenario_runs_its_smoke_and_meets_its_counted_budgets()
    {
        var root = RepositoryRoot();
        foreach (var service in new[] { "azurite-table", "azurite-queue" })
        {
            var path = Path.Combine(root, "tests", "node_modules", ".bin", service);
            Assert.True(
                File.Exists(path),
                $"Azurite is not installed: run `npm ci --prefix tests` in {root} (looked for {path}; Node.js 20+ is needed).");
        }
        var tool = Path.Combine(AppContext.BaseDirectory, "Paypro.Load.dll");
        Assert.True(File.Exists(tool), $"{tool} is missing: the test project references tests/Paypro.Load, whose build puts it here.");

        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var argument in new[] { "exec", tool, "all", "--smoke" })
        {
            info.ArgumentList.Add(argument);
        }
        var text = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(text, e.Data);
        process.ErrorDataReceived += (_, e) => Append(text, e.Data);
        var clock = Stopwatch.StartNew();
        Assert.True(process.Start(), "Could not start the load tool.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (var timeout = new CancellationTokenSource(Timeout))
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Only the tool this test started, with what it started (Azurite, the app's child process).
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        process.WaitForExit();
        string log;
        lock (text)
        {
            log = text.ToString();
        }
        output.WriteLine(log);
        Assert.True(
            clock.Elapsed < Timeout,
            $"The smoke did not finish within {Timeout.TotalMinutes:0} minutes; it was stopped. Output:\n{Tail(log)}");
        Assert.True(
            process.ExitCode == 0,
            $"The smoke exited with {process.ExitCode} (1: a budget missed, 2: a scenario could not run). Its summary:\n{Tail(log)}");
        foreach (var scenario in
            new[] { "notify", "event-lag", "pipeline", "poll-cost", "faults", "catch-up", "bad-input", "startup", "reconcile", "limits" })
        {
            Assert.Contains($"== {scenario}:", log, StringComparison.Ordinal);
        }
        Assert.Contains("scenarios failed: 0", log, StringComparison.Ordinal);
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (text)
        {
            text.AppendLine(line);
        }
    }

    private static string Tail(string log)
    {
        var at = log.LastIndexOf("== summary ==", StringComparison.Ordinal);
        return at >= 0 ? log[at..] : log.Length > 8_000 ? log[^8_000..] : log;
    }

    /// <summary>
    /// The checkout: above the test's output folder when it is inside one, otherwise above the current directory,
    /// otherwise the one this assembly was built from.
    /// </summary>
    private static string RepositoryRoot()
    {
        var builtFrom = typeof(LoadSmokeTests).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory(), builtFrom ?? "" }.Where(s => s.Length > 0))
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Paypro.Functions.sln")))
                {
                    return directory.FullName;
                }
            }
        }
        throw new InvalidOperationException(
            $"No Paypro.Functions.sln above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}: "
                + "run the tests from a checkout.");
    }

    /// <summary>The dotnet executable that runs these tests, so the tool runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }
        var runtime = new DirectoryInfo(RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar));
        var candidate = runtime.Parent?.Parent?.Parent is { } root
            ? Path.Combine(root.FullName, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet")
            : null;
        return candidate is not null && File.Exists(candidate) ? candidate : "dotnet";
    }
}
