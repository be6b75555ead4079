using System.Text.Json;
using System.Text.RegularExpressions;

namespace Paypro.Infra.Tests;

/// <summary>
/// What a deployment of main.bicepparam would send to Azure, as <c>bicep snapshot</c> predicts it
/// without Azure: the template evaluated with the parameter file's values, its conditions, loops,
/// filters and names worked out. Values known only once a resource exists stay
/// <c>[reference('&lt;resource id&gt;', '&lt;api version&gt;').property]</c> expressions.
/// </summary>
public sealed partial class DeploymentSnapshot
{
    /// <summary>The subscription, resource group and region the snapshot pretends to deploy to.</summary>
    public const string SubscriptionId = "00000000-0000-0000-0000-000000000001";

    public const string ResourceGroup = "rg-paypro";

    public const string Location = "southafricanorth";

    private DeploymentSnapshot(JsonElement root)
    {
        Resources = root.GetProperty("predictedResources").EnumerateArray().ToArray();
    }

    /// <summary>Every resource the deployment would create or update, modules flattened.</summary>
    public IReadOnlyList<JsonElement> Resources { get; }

    /// <summary>The function app's settings by name, as the deployment would set them.</summary>
    public IReadOnlyDictionary<string, string> AppSettings =>
        Single("Microsoft.Web/sites").GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings").EnumerateArray()
            .ToDictionary(setting => setting.GetProperty("name").GetString()!, setting => setting.GetProperty("value").GetString()!);

    public JsonElement Single(string type)
    {
        var matches = Resources
            .Where(resource => string.Equals(resource.GetProperty("type").GetString(), type, StringComparison.OrdinalIgnoreCase))
            .ToArray();
        Assert.True(matches.Length == 1, $"Expected exactly one {type} in the snapshot, found {matches.Length}.");
        return matches[0];
    }

    /// <summary>The full resource id of the one resource of a type.</summary>
    public string IdOf(string type) => Single(type).GetProperty("id").GetString()!;

    /// <summary>The name of the one resource of a type.</summary>
    public string NameOf(string type) => Single(type).GetProperty("name").GetString()!;

    /// <summary>How the deployment reads a property of the one resource of a type: <c>[reference('id', 'version').path]</c>.</summary>
    public string Reference(string type, string path) => $"[{ReferenceCall(type)}.{path}]";

    /// <summary>The reference() call itself, for expressions that wrap it.</summary>
    public string ReferenceCall(string type)
    {
        var resource = Single(type);
        return $"reference('{resource.GetProperty("id").GetString()}', '{resource.GetProperty("apiVersion").GetString()}')";
    }

    /// <summary>
    /// Takes a snapshot of main.bicepparam in <paramref name="directory"/>, with
    /// <paramref name="parameters"/> (Bicep literals by parameter name) set on top of it: each
    /// replaces the file's line for that parameter, commented out or not, or is added.
    /// </summary>
    public static DeploymentSnapshot Take(string directory, IReadOnlyDictionary<string, string>? parameters = null)
    {
        Directory.CreateDirectory(directory);
        var text = File.ReadAllText(Path.Combine(BicepCli.InfraDirectory, "main.bicepparam"));

        // Bicep takes only relative paths, from the parameter file's folder.
        var template = Path.GetRelativePath(directory, Path.Combine(BicepCli.InfraDirectory, "main.bicep")).Replace('\\', '/');
        var withTemplate = UsingLine().Replace(text, $"using '{template}'", 1);
        Assert.NotEqual(text, withTemplate);
        text = withTemplate;

        foreach (var (name, value) in parameters ?? new Dictionary<string, string>())
        {
            var line = new Regex($@"^(//\s*)?param {Regex.Escape(name)} = .*$", RegexOptions.Multiline);
            text = line.IsMatch(text)
                ? line.Replace(text, $"param {name} = {value}", 1)
                : $"{text.TrimEnd()}{Environment.NewLine}param {name} = {value}{Environment.NewLine}";
        }

        File.WriteAllText(Path.Combine(directory, "main.bicepparam"), text);
        var run = BicepCli.Run(
            [
                "snapshot", "main.bicepparam", "--mode", "overwrite",
                "--subscription-id", SubscriptionId, "--resource-group", ResourceGroup, "--location", Location,
            ],
            directory,
            InfraFixture.DeploymentEnvironment);
        run.AssertClean();

        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "main.snapshot.json")));
        var root = document.RootElement.Clone();
        var diagnostics = root.GetProperty("diagnostics").EnumerateArray().Select(diagnostic => diagnostic.GetRawText()).ToArray();
        Assert.True(diagnostics.Length == 0, $"The snapshot reports:{Environment.NewLine}{string.Join(Environment.NewLine, diagnostics)}");
        return new DeploymentSnapshot(root);
    }

    [GeneratedRegex(@"^using '\./main\.bicep'", RegexOptions.Multiline)]
    private static partial Regex UsingLine();
}
