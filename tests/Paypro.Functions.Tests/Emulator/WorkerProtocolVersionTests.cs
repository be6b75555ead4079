using System.Text.Json;
using System.Xml.Linq;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Emulator;

/// <summary>
/// The vendored proto files (protos/) and the JSON the emulator sends were checked against one set of worker and
/// extension packages, recorded in protos/version.json. A version bump in Directory.Packages.props without a fresh
/// check of the protocol fails here.
/// </summary>
public sealed class WorkerProtocolVersionTests
{
    private static readonly string VersionFile = Path.Combine(RepositoryPaths.Root, "protos", "version.json");

    [Fact]
    public void The_worker_and_extension_packages_are_the_versions_the_vendored_protocol_was_checked_against()
    {
        using var recorded = JsonDocument.Parse(File.ReadAllText(VersionFile));
        var pinned = XDocument.Load(Path.Combine(RepositoryPaths.Root, "Directory.Packages.props"))
            .Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!, StringComparer.OrdinalIgnoreCase);
        var checkedAgainst = recorded.RootElement.GetProperty("packages")
            .EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetString()!);

        var workerPackages = pinned.Keys
            .Where(name => name.StartsWith("Microsoft.Azure.Functions.Worker", StringComparison.OrdinalIgnoreCase)
                && !name.Equals("Microsoft.Azure.Functions.Worker.OpenTelemetry", StringComparison.OrdinalIgnoreCase));
        var changed = workerPackages
            .Where(name => !checkedAgainst.TryGetValue(name, out var version) || version != pinned[name])
            .Select(name => $"{name} is {pinned[name]} in Directory.Packages.props, " +
                $"but the protocol was checked against {checkedAgainst.GetValueOrDefault(name) ?? "no version of it"}")
            .ToList();

        Assert.True(changed.Count == 0, string.Join(Environment.NewLine, changed) + Environment.NewLine +
            "Re-check the host emulator against the new packages before updating protos/version.json: " +
            "take the proto files from the tag of the new " +
            "Microsoft.Azure.Functions.Worker release (protos/README.md), compare the messages the emulator uses, " +
            "re-check the JSON the queue extension's " +
            "QueueMessage converter and the timer extension's TimerInfo converter read (Emulator/TriggerPayloads.cs), " +
            "and run WorkerEmulatorTests.");
        Assert.Equal(pinned["Microsoft.Azure.Functions.Worker"], recorded.RootElement.GetProperty("protoTag").GetString());
    }
}
