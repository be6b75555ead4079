using System.Text.Json;
using System.Text.RegularExpressions;

namespace Paypro.Infra.Tests;

/// <summary>One resource of the compiled template, with the template (module) it is declared in.</summary>
public sealed record ArmResource(string SymbolicName, JsonElement Element, ArmScope Scope)
{
    public string Type => Element.GetProperty("type").GetString()!;

    public string ApiVersion => Element.GetProperty("apiVersion").GetString()!;

    /// <summary>Whether the template only refers to a resource declared elsewhere.</summary>
    public bool IsExisting => Element.TryGetProperty("existing", out var existing) && existing.GetBoolean();

    /// <summary>Property at a dotted path below the resource, or null when absent.</summary>
    public JsonElement? Find(string path) => ArmTemplate.Find(Element, path);

    /// <summary>Property at a dotted path, which the test requires to exist.</summary>
    public JsonElement Get(string path) =>
        Find(path) ?? throw new Xunit.Sdk.XunitException($"{Type} '{SymbolicName}' has no '{path}'.");

    public override string ToString() => $"{Type} '{SymbolicName}'";
}

/// <summary>
/// A template body (the main template or a module's nested one) with what its parameters were
/// given, so simple references like <c>[parameters('x')]</c> or <c>[variables('names').plan]</c>
/// can be followed to the literal they stand for.
/// </summary>
public sealed partial class ArmScope(JsonElement template, ArmScope? parent, JsonElement? parameterValues, string name)
{
    public string Name { get; } = name;

    public JsonElement Template { get; } = template;

    /// <summary>
    /// Follows parameter and variable references until a literal is reached; returns null for
    /// any other expression (function calls, references to deployed resources).
    /// </summary>
    public JsonElement? Resolve(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return value;
        }

        var text = value.GetString()!;
        if (!text.StartsWith('[') || text.StartsWith("[[", StringComparison.Ordinal))
        {
            return value;
        }

        var match = SimpleReference().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var name = match.Groups["name"].Value;
        var resolved = match.Groups["kind"].Value == "parameters" ? ResolveParameter(name) : ResolveVariable(name);
        foreach (var property in match.Groups["path"].Value.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (resolved is not { ValueKind: JsonValueKind.Object } obj || !obj.TryGetProperty(property, out var next))
            {
                return null;
            }

            resolved = next.ValueKind == JsonValueKind.String ? Resolve(next) : next;
        }

        return resolved;
    }

    /// <summary>The literal string a value stands for, or null when it is computed at deployment.</summary>
    public string? ResolveString(JsonElement value) =>
        Resolve(value) is { ValueKind: JsonValueKind.String } resolved ? resolved.GetString() : null;

    /// <summary>Resolves an expression written out, such as <c>[parameters('queueNames')]</c>.</summary>
    public JsonElement? Resolve(string expression) => Resolve(JsonSerializer.SerializeToElement(expression));

    /// <inheritdoc cref="ResolveString(JsonElement)"/>
    public string? ResolveString(string expression) => ResolveString(JsonSerializer.SerializeToElement(expression));

    private JsonElement? ResolveParameter(string name)
    {
        if (parameterValues is { } given && given.TryGetProperty(name, out var entry) && entry.TryGetProperty("value", out var passed))
        {
            return parent is null ? passed : parent.Resolve(passed);
        }

        if (Template.TryGetProperty("parameters", out var declared)
            && declared.TryGetProperty(name, out var declaration)
            && declaration.TryGetProperty("defaultValue", out var defaultValue))
        {
            return Resolve(defaultValue);
        }

        return null;
    }

    private JsonElement? ResolveVariable(string name) =>
        Template.TryGetProperty("variables", out var variables) && variables.TryGetProperty(name, out var variable)
            ? Resolve(variable)
            : null;

    [GeneratedRegex(@"^\[(?<kind>parameters|variables)\('(?<name>[^']+)'\)(?<path>(\.[A-Za-z_][A-Za-z0-9_]*)*)\]$")]
    private static partial Regex SimpleReference();
}

/// <summary>The compiled ARM template of main.bicep, flattened across its modules.</summary>
public sealed class ArmTemplate
{
    private ArmTemplate(JsonDocument document, string text, IReadOnlyList<ArmResource> resources)
    {
        Document = document;
        Text = text;
        Resources = resources;
    }

    public JsonDocument Document { get; }

    /// <summary>The template exactly as the CLI wrote it.</summary>
    public string Text { get; }

    /// <summary>Every resource in the template and in every module, modules themselves included.</summary>
    public IReadOnlyList<ArmResource> Resources { get; }

    public JsonElement Root => Document.RootElement;

    /// <summary>
    /// Parses a compiled template; <paramref name="parameterValues"/> (the parameters object of a
    /// parameters file) stands in for what a deployment would be given.
    /// </summary>
    public static ArmTemplate Parse(string text, JsonElement? parameterValues)
    {
        var document = JsonDocument.Parse(text);
        var resources = new List<ArmResource>();
        Collect(new ArmScope(document.RootElement, null, parameterValues, "main"), resources);
        return new ArmTemplate(document, text, resources);
    }

    /// <summary>Resources of a type that the deployment creates or updates (references to existing ones left out).</summary>
    public IReadOnlyList<ArmResource> OfType(string type) =>
        Resources
            .Where(resource => !resource.IsExisting && string.Equals(resource.Type, type, StringComparison.OrdinalIgnoreCase))
            .ToArray();

    /// <summary>The resource a symbolic name stands for in a module, as in <c>reference('identity')</c>.</summary>
    public ArmResource Symbol(ArmScope scope, string symbolicName) =>
        Resources.SingleOrDefault(resource => ReferenceEquals(resource.Scope, scope) && resource.SymbolicName == symbolicName)
        ?? throw new Xunit.Sdk.XunitException($"Module '{scope.Name}' declares no resource '{symbolicName}'.");

    public ArmResource Single(string type)
    {
        var matches = OfType(type);
        Assert.True(matches.Count == 1, $"Expected exactly one {type}, found {matches.Count}: {string.Join(", ", matches)}.");
        return matches[0];
    }

    /// <summary>Property at a dotted path, or null when any step is missing.</summary>
    public static JsonElement? Find(JsonElement element, string path)
    {
        var current = element;
        foreach (var step in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(step, out current))
            {
                return null;
            }
        }

        return current;
    }

    private static void Collect(ArmScope scope, List<ArmResource> into)
    {
        if (!scope.Template.TryGetProperty("resources", out var resources))
        {
            return;
        }

        // languageVersion 2.0 templates key resources by symbolic name; older ones list them.
        var entries = resources.ValueKind == JsonValueKind.Object
            ? resources.EnumerateObject().Select(property => (property.Name, property.Value))
            : resources.EnumerateArray().Select((value, index) => ($"#{index}", value));

        foreach (var (symbolicName, element) in entries)
        {
            var resource = new ArmResource(symbolicName, element, scope);
            into.Add(resource);
            if (resource.Type == "Microsoft.Resources/deployments"
                && Find(element, "properties.template") is { } nested)
            {
                var moduleScope = new ArmScope(nested, scope, Find(element, "properties.parameters"), symbolicName);
                Collect(moduleScope, into);
            }
        }
    }
}
