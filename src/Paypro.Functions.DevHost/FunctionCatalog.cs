using System.Reflection;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Configuration;

namespace Paypro.Functions.DevHost;

/// <summary>
/// A function and its trigger, as its attributes declare it (in-process: the same source the SDK generates
/// functions.metadata from) or as the worker reports it (the emulator). <see cref="Method"/> is the method to call
/// in-process; it is null for a function that runs in the worker process.
/// </summary>
internal abstract record FunctionEntry(string Name, MethodInfo? Method)
{
    public Type? FunctionClass => Method?.DeclaringType;

    /// <summary>The name of the trigger's binding (its parameter), which an invocation request carries the trigger's value under.</summary>
    public string TriggerBinding { get; init; } = "";
}

internal sealed record HttpFunction(
    string Name,
    MethodInfo? Method,
    AuthorizationLevel AuthLevel,
    IReadOnlyList<string> Methods,
    string Route) : FunctionEntry(Name, Method);

internal sealed record QueueFunction(string Name, MethodInfo? Method, string QueueNameExpression) : FunctionEntry(Name, Method);

internal sealed record TimerFunction(string Name, MethodInfo? Method, string ScheduleExpression) : FunctionEntry(Name, Method);

/// <summary>
/// Every function of the app, with its trigger. In-process, every <c>[Function]</c> method, read from the attributes
/// by reflection (a contract test checks that this reading agrees with the functions.metadata the build generates);
/// in the emulator, the metadata the worker reports (<see cref="FromWorkerMetadata"/>). The development host keeps
/// no list of its own: a function added, renamed or re-routed in its class is served accordingly.
/// </summary>
internal sealed class FunctionCatalog
{
    private FunctionCatalog(IReadOnlyList<FunctionEntry> functions) => Functions = functions;

    public IReadOnlyList<FunctionEntry> Functions { get; }

    public IEnumerable<HttpFunction> Http => Functions.OfType<HttpFunction>();
    public IEnumerable<QueueFunction> Queues => Functions.OfType<QueueFunction>();
    public IEnumerable<TimerFunction> Timers => Functions.OfType<TimerFunction>();

    /// <summary>The app's functions: those of the assembly that holds the function classes.</summary>
    public static FunctionCatalog ForApp() => FromAssembly(typeof(PayproFunctionsExtensions).Assembly);

    public static FunctionCatalog FromAssembly(Assembly assembly) => FromTypes(assembly.GetTypes());

    public static FunctionCatalog FromTypes(params IEnumerable<Type> types)
    {
        var functions = new List<FunctionEntry>();
        foreach (var type in types)
        {
            foreach (var method in type.GetMethods(
                BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is { } function)
                {
                    functions.Add(Describe(function.Name, method));
                }
            }
        }
        return Create(functions);
    }

    /// <summary>
    /// The functions as the worker reports them: each function's raw bindings (the JSON of functions.metadata), read
    /// the way the host reads them. Only the trigger matters here; the worker binds everything else itself.
    /// </summary>
    public static FunctionCatalog FromWorkerMetadata(IEnumerable<(string Name, IEnumerable<string> RawBindings)> functions) =>
        Create([.. functions.Select(function => FromRawBindings(function.Name, function.RawBindings))]);

    private static FunctionCatalog Create(List<FunctionEntry> functions)
    {
        var duplicate = functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two functions are named '{duplicate.Key}'; function names are unique in an app.");
        }
        return new FunctionCatalog([.. functions.OrderBy(f => f.Name, StringComparer.Ordinal)]);
    }

    private static FunctionEntry Describe(string name, MethodInfo method)
    {
        FunctionEntry? entry = null;
        foreach (var parameter in method.GetParameters())
        {
            FunctionEntry? trigger = parameter.GetCustomAttribute<HttpTriggerAttribute>() is { } http
                ? new HttpFunction(
                    name,
                    method,
                    http.AuthLevel,
                    http.Methods is { Length: > 0 } methods ? methods : DefaultMethods,
                    http.Route ?? name)
                : parameter.GetCustomAttribute<QueueTriggerAttribute>() is { } queue
                    ? new QueueFunction(name, method, queue.QueueName)
                    : parameter.GetCustomAttribute<TimerTriggerAttribute>() is { } timer
                        ? new TimerFunction(name, method, timer.Schedule)
                        : null;
            if (trigger is null)
            {
                continue;
            }
            if (entry is not null)
            {
                throw new InvalidOperationException($"Function {name} has more than one trigger.");
            }
            entry = trigger with { TriggerBinding = parameter.Name ?? "" };
        }
        return entry ?? throw new InvalidOperationException(
            $"Function {name} ({method.DeclaringType?.Name}.{method.Name}) has no HTTP, queue or timer trigger;"
                + " the development host runs only those.");
    }

    private static readonly string[] DefaultMethods = ["get", "post"];

    private static FunctionEntry FromRawBindings(string name, IEnumerable<string> rawBindings)
    {
        FunctionEntry? entry = null;
        foreach (var raw in rawBindings)
        {
            using var binding = JsonDocument.Parse(raw);
            var root = binding.RootElement;
            string? Text(string property) =>
                HostSettings.TryGetPropertyIgnoreCase(root, property, out var value) && value.ValueKind == JsonValueKind.String
                    ? value.GetString()
                    : null;
            var bindingName = Text("name") ?? "";
            FunctionEntry? trigger = Text("type")?.ToLowerInvariant() switch
            {
                "httptrigger" => new HttpFunction(
                    name,
                    null,
                    Enum.TryParse<AuthorizationLevel>(Text("authLevel"), ignoreCase: true, out var level)
                        ? level
                        : AuthorizationLevel.Function,
                    HostSettings.TryGetPropertyIgnoreCase(root, "methods", out var methods)
                            && methods.ValueKind == JsonValueKind.Array
                            && methods.GetArrayLength() > 0
                        ? [.. methods.EnumerateArray().Select(m => m.GetString() ?? "")]
                        : DefaultMethods,
                    Text("route") ?? name),
                "queuetrigger" => new QueueFunction(name, null, Text("queueName") ?? ""),
                "timertrigger" => new TimerFunction(name, null, Text("schedule") ?? ""),
                _ => null,
            };
            if (trigger is null)
            {
                continue;
            }
            if (entry is not null)
            {
                throw new InvalidOperationException($"Function {name} has more than one trigger.");
            }
            entry = trigger with { TriggerBinding = bindingName };
        }
        return entry ?? throw new InvalidOperationException(
            $"Function {name} has no HTTP, queue or timer trigger in the worker's metadata; the development host runs only those.");
    }
}
