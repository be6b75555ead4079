using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Paypro.Sandbox.Tests;

/// <summary>
/// The sandbox ships as a .NET tool: a merchant's test suite installs it from the package <c>./build.sh package</c>
/// builds and runs <c>paypro-sandbox</c> without this repository.
/// </summary>
public sealed partial class SandboxToolTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "paypro-sandbox-tool-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task The_tool_installs_from_the_built_package_and_serves_Paypro_paths()
    {
        var artifacts = Path.Combine(_work, "artifacts");
        var (packed, packOutput) = await RunAsync(
            "bash",
            [Path.Combine(Root(), "build.sh"), "sandbox-tool"],
            Root(),
            ("ARTIFACTS_DIR", artifacts));
        Assert.True(packed == 0, $"./build.sh sandbox-tool failed:\n{packOutput}");
        var package = Assert.Single(Directory.GetFiles(Path.Combine(artifacts, "tools"), "Paypro.Sandbox.*.nupkg"));

        // Installed as a merchant would, from a folder of its own: nothing of the repository is used from here on.
        var tools = Path.Combine(_work, "tools");
        var (installed, installOutput) = await RunAsync(
            "dotnet",
            ["tool", "install", "Paypro.Sandbox", "--tool-path", tools, "--add-source", Path.GetDirectoryName(package)!],
            _work);
        Assert.True(installed == 0, $"dotnet tool install failed:\n{installOutput}");
        var command = Path.Combine(tools, "paypro-sandbox");
        Assert.True(File.Exists(command), $"{command} was not installed.");

        using var sandbox = Process.Start(new ProcessStartInfo(command)
        {
            ArgumentList = { "--urls", "http://127.0.0.1:0", "--Sandbox:MerchantNo=3000000003" },
            WorkingDirectory = _work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var url = await ListeningUrlAsync(sandbox.StandardOutput, TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };

            using var home = await http.GetAsync("/");
            using var unsigned = await http.PostAsync(
                "/api/queryPayOutResult",
                new StringContent("""{"tradeNo":"T-1"}""", System.Text.Encoding.UTF8, "application/json"));

            Assert.Equal(HttpStatusCode.OK, home.StatusCode);
            Assert.Contains("Paypro Kenya sandbox", await home.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            // A request without merchantNo or sign is refused in Paypro's envelope, not by a missing route.
            var refusal = await unsigned.Content.ReadAsStringAsync();
            Assert.Contains("\"code\":", refusal, StringComparison.Ordinal);
            Assert.DoesNotContain("\"code\":\"0000\"", refusal, StringComparison.Ordinal);
        }
        finally
        {
            sandbox.Kill(entireProcessTree: true);
            await sandbox.WaitForExitAsync();
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    private static async Task<string> ListeningUrlAsync(StreamReader output, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var seen = new List<string>();
        while (await output.ReadLineAsync(deadline.Token) is { } line)
        {
            seen.Add(line);
            if (ListeningOn().Match(line) is { Success: true } match)
            {
                return match.Groups[1].Value;
            }
        }
        throw new InvalidOperationException("The tool exited without saying where it listens:\n" + string.Join('\n', seen));
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();

    private static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Paypro.Functions.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException(
            $"No Paypro.Functions.sln above {AppContext.BaseDirectory}: run the tests from a checkout of the repository.");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(
        string file,
        string[] arguments,
        string workingDirectory,
        params (string Name, string Value)[] environment)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
