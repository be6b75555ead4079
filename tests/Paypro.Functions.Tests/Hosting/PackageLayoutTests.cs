using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>
/// The deployment package has the layout the Functions host needs. The assembling step of build.sh runs on
/// a stand-in publish folder (publishing itself takes minutes and is exercised by ./build.sh package).
/// </summary>
// The package is for Linux Functions hosts: its executable bit is what these tests check.
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PackageLayoutTests : IDisposable
{
    private const int Executable = 0b001_001_001;
    private readonly string _work = Path.Combine(Path.GetTempPath(), "paypro-package-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Assembled_app_has_host_json_on_top_a_folder_per_function_and_an_executable_handler()
    {
        var artifacts = await AssembleAsync();
        var app = Path.Combine(artifacts, "app");

        Assert.True(File.Exists(Path.Combine(app, "host.json")));
        using (var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "host.json"))))
        {
            var handler = host.RootElement.GetProperty("customHandler").GetProperty("description").GetProperty("defaultExecutablePath").GetString();
            Assert.True(File.Exists(Path.Combine(app, handler!)), $"host.json names {handler}, which is not in the app folder.");
        }
        foreach (var function in Directory.GetDirectories(RepositoryPaths.FunctionFolders).Select(Path.GetFileName))
        {
            Assert.True(File.Exists(Path.Combine(app, function!, "function.json")), $"{function}/function.json is missing from the app folder.");
        }
        Assert.True((File.GetUnixFileMode(Path.Combine(app, "Paypro.Functions")) & UnixFileMode.UserExecute) != 0, "The handler is not executable.");
        Assert.True(File.Exists(Path.Combine(app, "appsettings.json")));
        Assert.False(Directory.Exists(Path.Combine(app, "FunctionDefinitions")), "The publish folder's FunctionDefinitions/ copy must not be deployed.");
        Assert.False(File.Exists(Path.Combine(app, "Paypro.Functions.dbg")));
    }

    [Fact]
    public async Task Zip_keeps_the_layout_and_the_executable_bit()
    {
        var artifacts = await AssembleAsync();

        using var zip = ZipFile.OpenRead(Path.Combine(artifacts, "app.zip"));
        var entries = zip.Entries.ToDictionary(entry => entry.FullName.TrimStart('.', '/'));

        Assert.Contains("host.json", entries.Keys);
        foreach (var function in Directory.GetDirectories(RepositoryPaths.FunctionFolders).Select(Path.GetFileName))
        {
            Assert.Contains($"{function}/function.json", entries.Keys);
        }
        var handler = entries["Paypro.Functions"];
        var mode = (handler.ExternalAttributes >> 16) & 0xFFF;
        Assert.True((mode & Executable) == Executable, $"The handler's mode in the zip is {Convert.ToString(mode, 8)}; the host needs it executable.");
    }

    [Fact]
    public async Task Assembling_without_an_executable_fails_and_says_what_to_do()
    {
        var publish = Directory.CreateDirectory(Path.Combine(_work, "empty-publish")).FullName;

        var (exitCode, output) = await RunBuildScriptAsync("assemble", publish);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("publish first", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_work, "artifacts", "app.zip")));
    }

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    /// <summary>A publish folder like dotnet publish leaves: the handler (not yet executable), its settings, symbols and the web SDK's copy of FunctionDefinitions/.</summary>
    private async Task<string> AssembleAsync()
    {
        var publish = Directory.CreateDirectory(Path.Combine(_work, "publish")).FullName;
        await File.WriteAllTextAsync(Path.Combine(publish, "Paypro.Functions"), "#!/bin/sh\necho stand-in handler\n");
        File.SetUnixFileMode(Path.Combine(publish, "Paypro.Functions"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(Path.Combine(publish, "appsettings.json"), "{}");
        await File.WriteAllTextAsync(Path.Combine(publish, "Paypro.Functions.dbg"), "symbols");
        Directory.CreateDirectory(Path.Combine(publish, "FunctionDefinitions", "GetBalance"));
        await File.WriteAllTextAsync(Path.Combine(publish, "FunctionDefinitions", "GetBalance", "function.json"), "{}");

        var (exitCode, output) = await RunBuildScriptAsync("assemble", publish);

        Assert.True(exitCode == 0, $"build.sh assemble failed ({exitCode}): {output}");
        return Path.Combine(_work, "artifacts");
    }

    private async Task<(int ExitCode, string Output)> RunBuildScriptAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        info.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "build.sh"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["ARTIFACTS_DIR"] = Path.Combine(_work, "artifacts");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
