namespace Paypro.Infra.Tests;

/// <summary>
/// The azd project file, azure.yaml, read line by line into its scalar values by dotted path
/// (<c>services.functions.host</c>). That covers the nested mappings of scalars the file is made
/// of; anything else YAML allows (lists, block or flow collections, multi-line scalars, anchors,
/// tabs) makes the read fail rather than be misread.
/// </summary>
public sealed class AzureYaml
{
    private readonly Dictionary<string, string> values;
    private readonly List<string> keys;

    private AzureYaml(Dictionary<string, string> values, List<string> keys)
    {
        this.values = values;
        this.keys = keys;
    }

    /// <summary>The repository root, where azd expects azure.yaml and resolves its paths from.</summary>
    public static string RepositoryDirectory { get; } = BicepCli.ReadMetadata("RepositoryDirectory");

    public static string FilePath { get; } = Path.Combine(RepositoryDirectory, "azure.yaml");

    /// <summary>The scalar at a dotted path, or null when the file sets none there.</summary>
    public string? this[string path] => values.GetValueOrDefault(path);

    public static AzureYaml Load()
    {
        Assert.True(File.Exists(FilePath), $"The repository has no azure.yaml at {FilePath}.");
        return Parse(File.ReadAllLines(FilePath));
    }

    public static AzureYaml Parse(IEnumerable<string> lines)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = new List<string>();
        var parents = new Stack<(int Indent, string Path)>();
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = StripComment(raw.TrimEnd('\r')).TrimEnd();
            if (line.Length == 0)
            {
                continue;
            }

            var indent = line.Length - line.TrimStart(' ').Length;
            var content = line[indent..];
            if (content.StartsWith('\t') || content.StartsWith("- ", StringComparison.Ordinal) || content == "-"
                || content.StartsWith("---", StringComparison.Ordinal) || content[0] is '[' or '{' or '?')
            {
                throw Unsupported(number, raw);
            }

            var colon = KeySeparator(content);
            if (colon < 0)
            {
                throw Unsupported(number, raw);
            }

            var key = Unquote(content[..colon].Trim());
            var value = content[(colon + 1)..].Trim();
            if (key.Length == 0 || key.Contains('.', StringComparison.Ordinal))
            {
                throw Unsupported(number, raw);
            }

            while (parents.Count > 0 && parents.Peek().Indent >= indent)
            {
                parents.Pop();
            }

            var path = parents.Count == 0 ? key : $"{parents.Peek().Path}.{key}";
            if (keys.Contains(path))
            {
                throw new FormatException($"azure.yaml line {number} sets '{path}' a second time.");
            }

            keys.Add(path);
            if (value.Length == 0)
            {
                parents.Push((indent, path));
            }
            else if (value[0] is '|' or '>' or '[' or '{' or '&' or '*' or '!')
            {
                throw Unsupported(number, raw);
            }
            else
            {
                values[path] = Unquote(value);
            }
        }

        return new AzureYaml(values, keys);
    }

    /// <summary>Names of the keys directly below a dotted path, in file order.</summary>
    public IReadOnlyList<string> Children(string path) =>
        keys.Where(key => key.StartsWith(path + ".", StringComparison.Ordinal)
                && !key[(path.Length + 1)..].Contains('.', StringComparison.Ordinal))
            .Select(key => key[(path.Length + 1)..])
            .ToArray();

    /// <summary>An absolute path for one the file gives relative to the repository root.</summary>
    public static string ResolvePath(string relative) =>
        Path.GetFullPath(Path.Combine(RepositoryDirectory, relative.Replace('/', Path.DirectorySeparatorChar)));

    private static FormatException Unsupported(int number, string line) =>
        new($"azure.yaml line {number} is beyond what the tests read (nested mappings of scalars): '{line}'.");

    /// <summary>Position of the colon that ends the key: the first one outside quotes followed by a space or the line's end.</summary>
    private static int KeySeparator(string content)
    {
        char? quote = null;
        for (var i = 0; i < content.Length; i++)
        {
            var c = content[i];
            if (quote is { } open)
            {
                quote = c == open ? null : quote;
            }
            else if (OpensQuote(content, i))
            {
                quote = c;
            }
            else if (c == ':' && (i + 1 == content.Length || content[i + 1] == ' '))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The line up to a # that starts a comment: at the start, or after a space, outside quotes.</summary>
    private static string StripComment(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is { } open)
            {
                quote = c == open ? null : quote;
            }
            else if (OpensQuote(line, i))
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }

        return line;
    }

    /// <summary>Whether a quote at <paramref name="index"/> starts a quoted key or value, not an apostrophe inside plain text.</summary>
    private static bool OpensQuote(string text, int index)
    {
        if (text[index] is not ('"' or '\''))
        {
            return false;
        }

        var before = text[..index].TrimEnd();
        return before.Length == 0 || before.EndsWith(':');
    }

    private static string Unquote(string text) =>
        text.Length >= 2 && (text[0] is '"' or '\'') && text[^1] == text[0] ? text[1..^1] : text;
}
