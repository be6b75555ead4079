using System.Text.Json;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Paypro.Functions.DevHost;

/// <summary>
/// Reads the <c>Values</c> of a Core Tools <c>local.settings.json</c> as configuration, the way
/// <c>func start</c> turns them into environment variables, so the same file configures a development-host run.
/// <c>__</c> in a name separates sections, as in an environment variable.
/// </summary>
internal sealed class LocalSettingsConfigurationSource(string path) : IConfigurationSource
{
    public const string FileName = "local.settings.json";

    public string Path => path;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new LocalSettingsConfigurationProvider(path);

    /// <summary>
    /// Adds the first local.settings.json found in the content root or, above it, the repository root (the
    /// folder with host.json), ranked just below the environment variables so both the environment and the
    /// command line override it.
    /// </summary>
    public static void AddTo(IConfigurationManager configuration, string contentRoot)
    {
        if (Find(contentRoot) is not { } path)
        {
            return;
        }
        var sources = configuration.Sources;
        var index = sources.Count;
        for (var i = sources.Count - 1; i >= 0; i--)
        {
            if (sources[i] is EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            {
                index = i;
                break;
            }
        }
        sources.Insert(index, new LocalSettingsConfigurationSource(path));
    }

    private static string? Find(string contentRoot)
    {
        var candidate = System.IO.Path.Combine(contentRoot, FileName);
        if (File.Exists(candidate))
        {
            return candidate;
        }
        for (var directory = new DirectoryInfo(contentRoot).Parent; directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "host.json")))
            {
                candidate = System.IO.Path.Combine(directory.FullName, FileName);
                return File.Exists(candidate) ? candidate : null;
            }
        }
        return null;
    }
}

internal sealed class LocalSettingsConfigurationProvider(string path) : ConfigurationProvider
{
    public override void Load()
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(
                File.ReadAllBytes(path),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException(
                $"{path} is not valid JSON (line {ex.LineNumber + 1}). Fix it or delete it; it configures development-host runs.",
                ex);
        }

        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidOperationException($"{path} must be a JSON object with a Values object.");
            }
            if (root.TryGetProperty("IsEncrypted", out var encrypted) && encrypted.ValueKind == JsonValueKind.True)
            {
                throw new InvalidOperationException($"{path} is encrypted (IsEncrypted: true); only Core Tools can read it."
                    + " Decrypt it with 'func settings decrypt' or set IsEncrypted to false.");
            }
            if (root.TryGetProperty("Values", out var values))
            {
                if (values.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidOperationException($"{path}: Values must be an object of setting names to values.");
                }
                foreach (var setting in values.EnumerateObject())
                {
                    var key = setting.Name.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
                    data[key] = setting.Value.ValueKind switch
                    {
                        JsonValueKind.String => setting.Value.GetString(),
                        JsonValueKind.Null => null,
                        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => setting.Value.GetRawText(),
                        _ => throw new InvalidOperationException($"{path}: Values.{setting.Name} must be a string, number or boolean."),
                    };
                }
            }
        }
        Data = data;
    }
}
