using System.Diagnostics;
using System.IO.Compression;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>
/// One run of <c>./build.sh app-package</c> (the app half of <c>./build.sh package</c>) for every test of its
/// collection (it publishes, which takes a while): the deployment zip, read as an archive, and its content extracted to
/// a folder as the platform runs it.
/// </summary>
public sealed class PublishedPackage : IAsyncLifetime
{
    public const string CollectionName = "Published package";

    public string Work { get; } = Path.Combine(Path.GetTempPath(), "paypro-package-" + Guid.NewGuid().ToString("N"));
    public ZipArchive Zip { get; private set; } = null!;
    public Dictionary<string, ZipArchiveEntry> Entries { get; private set; } = [];

    /// <summary>The zip's content, extracted as the platform extracts it to run the app.</summary>
    public string Extracted => Path.Combine(Work, "app");

    public async Task InitializeAsync()
    {
        var (exitCode, output) = await RunBuildScriptAsync("app-package");
        Assert.True(exitCode == 0, $"./build.sh app-package failed ({exitCode}):\n{output}");
        Zip = ZipFile.OpenRead(Path.Combine(Work, "artifacts", "app.zip"));
        Entries = Zip.Entries.ToDictionary(entry => entry.FullName.Replace('\\', '/'), StringComparer.Ordinal);
        Zip.ExtractToDirectory(Extracted);
    }

    public Task DisposeAsync()
    {
        Zip?.Dispose();
        if (Directory.Exists(Work))
        {
            Directory.Delete(Work, recursive: true);
        }
        return Task.CompletedTask;
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
        info.Environment["ARTIFACTS_DIR"] = Path.Combine(Work, "artifacts");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

[CollectionDefinition(PublishedPackage.CollectionName)]
public sealed class PublishedPackageCollection : ICollectionFixture<PublishedPackage>;
