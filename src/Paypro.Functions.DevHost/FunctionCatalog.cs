using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Paypro.Functions.DevHost;

/// <summary>A function as its attributes declare it: the same source the SDK generates functions.metadata from.</summary>
internal abstract record FunctionEntry(string Name, MethodInfo Method)
{
    public Type FunctionClass => Method.DeclaringType!;
}

internal sealed record HttpFunction(string Name, MethodInfo Method, AuthorizationLevel AuthLevel, IReadOnlyList<string> Methods, string Route) : FunctionEntry(Name, Method);

internal sealed record QueueFunction(string Name, MethodInfo Method, string QueueNameExpression) : FunctionEntry(Name, Method);

internal sealed record TimerFunction(string Name, MethodInfo Method, string ScheduleExpression) : FunctionEntry(Name, Method);

/// <summary>
/// Every <c>[Function]</c> method of the app, with its trigger, read from the attributes by reflection. The
/// development host keeps no list of its own: a function added, renamed or re-routed in its class is served
/// accordingly, and a contract test checks that this reading agrees with the functions.metadata the build generates.
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
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is { } function)
                {
                    functions.Add(Describe(function.Name, method));
                }
            }
        }
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
                ? new HttpFunction(name, method, http.AuthLevel, http.Methods is { Length: > 0 } methods ? methods : ["get", "post"], http.Route ?? name)
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
            entry = trigger;
        }
        return entry ?? throw new InvalidOperationException(
            $"Function {name} ({method.DeclaringType?.Name}.{method.Name}) has no HTTP, queue or timer trigger; the development host runs only those.");
    }
}
