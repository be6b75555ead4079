using System.IO.Compression;
using System.Reflection.PortableExecutable;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>
/// <c>./build.sh package</c> produces the zip the Functions host deploys: exactly what <c>dotnet publish</c> made for
/// the isolated worker, ReadyToRun-compiled for linux-x64, and nothing of the development host or local settings.
/// </summary>
[Collection(PublishedPackage.CollectionName)]
public sealed class PackageLayoutTests(PublishedPackage package)
{
    private readonly string _work = package.Work;
    private readonly ZipArchive _zip = package.Zip;
    private readonly Dictionary<string, ZipArchiveEntry> _entries = package.Entries;

    [Fact]
    public async Task The_zip_holds_what_the_host_loads_the_worker_by_at_its_top()
    {
        foreach (var name in new[]
            {
                "host.json",
                "functions.metadata",
                "worker.config.json",
                "extensions.json",
                "Paypro.Functions.dll",
                "Paypro.dll",
            })
        {
            Assert.True(_entries.ContainsKey(name), $"{name} is not at the top of the zip.");
        }
        Assert.Contains(
            _zip.Entries,
            e => e.FullName.StartsWith(".azurefunctions/", StringComparison.Ordinal)
                && e.FullName.EndsWith(".dll", StringComparison.Ordinal));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "host.json")), await ReadAsync("host.json"));
    }

    [Fact]
    public async Task The_zip_is_the_publish_folder_exactly()
    {
        var publish = Path.Combine(_work, "artifacts", "publish");
        var files = Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(publish, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

        Assert.Equal(
            files,
            _zip.Entries.Where(e => !e.FullName.EndsWith('/')).Select(e => e.FullName.Replace('\\', '/')).Order(StringComparer.Ordinal));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(publish, "functions.metadata")), await ReadAsync("functions.metadata"));
    }

    [Fact]
    public async Task The_app_is_ReadyToRun_compiled_and_carries_nothing_for_local_runs()
    {
        await using var stream = new MemoryStream();
        await using (var dll = _entries["Paypro.Functions.dll"].Open())
        {
            await dll.CopyToAsync(stream);
        }
        stream.Position = 0;
        using var pe = new PEReader(stream);
        Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, "Paypro.Functions.dll has no ReadyToRun code.");
        // ReadyToRun code for Linux marks the machine type with the OS override 0x7B79 (XOR).
        Assert.Equal(Machine.Amd64, (Machine)((ushort)pe.PEHeaders.CoffHeader.Machine ^ 0x7B79));

        Assert.DoesNotContain(_entries.Keys, name => name.Contains("DevHost", StringComparison.Ordinal));
        Assert.DoesNotContain(_entries.Keys, name => name.StartsWith("local.settings", StringComparison.Ordinal));
        Assert.DoesNotContain(_entries.Keys, name => name.EndsWith("function.json", StringComparison.Ordinal));
    }

    private async Task<string> ReadAsync(string name)
    {
        using var reader = new StreamReader(_entries[name].Open());
        return await reader.ReadToEndAsync();
    }
}
