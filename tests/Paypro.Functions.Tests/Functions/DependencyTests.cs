using System.Reflection;
using System.Reflection.Emit;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.Functions;

/// <summary>
/// The app's dependency rule (docs/architecture.md, "Code map"), read from the compiled assembly: every type a folder's
/// code names, in signatures, fields, attributes and method bodies (compiler-generated state machines and closures
/// included), stays within what the folder may use. Dependencies point inward: the functions and the HTTP edge use
/// operations and the engine; storage implements the engine's ports; the engine knows neither HTTP, the Worker SDK,
/// storage nor the operations built on it.
/// </summary>
public sealed class DependencyTests
{
    private const string Root = "Paypro.Functions";
    private const string Functions = Root + ".Functions";
    private const string Http = Root + ".Http";
    private const string Operations = Root + ".Operations";
    private const string Storage = Root + ".Storage";
    private const string Engine = Root + ".Transactions";
    private const string Outbox = Root + ".Outbox";
    private const string Telemetry = Root + ".Telemetry";
    private const string Configuration = Root + ".Configuration";
    private const string Secrets = Root + ".Secrets";

    /// <summary>HTTP and the Worker SDK: the edge's and the functions' business, never the engine's.</summary>
    private static readonly string[] HostAssemblies = ["Microsoft.AspNetCore", "Microsoft.Azure.Functions.Worker"];

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value);

    private static readonly Lazy<Dictionary<string, HashSet<Type>>> UsedByNamespace = new(ReadAssembly);

    /// <summary>Each folder's namespace, and the namespaces of the app it must not use.</summary>
    public static TheoryData<string, string[]> Rules => new()
    {
        { Engine, [Functions, Http, Operations, Storage] },
        { Outbox, [Functions, Http, Operations, Storage, Engine] },
        { Telemetry, [Functions, Http, Operations, Storage, Engine, Outbox, Secrets] },
        { Configuration, [Functions, Http, Operations, Storage, Engine, Outbox, Secrets] },
        { Secrets, [Functions, Http, Operations, Storage, Engine, Outbox] },
        { Storage, [Functions, Http] },
        { Operations, [Functions, Http, Storage] },
        { Http, [Functions, Storage] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void A_folder_uses_none_of_the_namespaces_outside_its_ring(string space, string[] forbidden)
    {
        var used = UsedBy(space);
        var wrong = used
            .Where(type => forbidden.Any(f => type.Namespace == f || type.Namespace?.StartsWith(f + ".", StringComparison.Ordinal) == true))
            .Select(type => type.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(wrong.Count == 0, $"{space} uses {string.Join(", ", wrong)}");
    }

    [Theory]
    [InlineData(Engine)]
    [InlineData(Outbox)]
    [InlineData(Storage)]
    [InlineData(Configuration)]
    public void The_engine_and_what_it_stands_on_use_neither_HTTP_nor_the_Worker_SDK(string space)
    {
        var wrong = UsedBy(space)
            .Where(IsHostType)
            .Select(type => type.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(wrong.Count == 0, $"{space} uses {string.Join(", ", wrong)}");
    }

    /// <summary>The reading itself finds what is there: without it, the rules above would pass on an empty list.</summary>
    [Fact]
    public void The_reading_sees_HTTP_at_the_edge_and_storage_in_the_composition()
    {
        Assert.Contains(typeof(Microsoft.AspNetCore.Http.HttpContext), UsedBy(Http));
        Assert.Contains(UsedBy(Http), type => type.Name == "IResult");
        Assert.Contains(
            UsedBy(Functions),
            type => type.Assembly.GetName().Name!.StartsWith("Microsoft.Azure.Functions.Worker", StringComparison.Ordinal));
        Assert.Contains(UsedBy(Root), type => type.Namespace == Storage);
        // Only inside a method body: the engine's processor calls the outbox, so the body scan reaches it.
        Assert.Contains(UsedBy(Engine), type => type.Namespace == Outbox);
    }

    private static HashSet<Type> UsedBy(string space) =>
        UsedByNamespace.Value.TryGetValue(space, out var used)
            ? used
            : throw new InvalidOperationException($"No type in namespace {space}.");

    private static bool IsHostType(Type type) =>
        type.Assembly.GetName().Name is { } name && HostAssemblies.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal));

    private static Dictionary<string, HashSet<Type>> ReadAssembly()
    {
        var result = new Dictionary<string, HashSet<Type>>(StringComparer.Ordinal);
        foreach (var type in typeof(TransactionRules).Assembly.GetTypes())
        {
            if (type.Namespace is not { } space || !(space == Root || space.StartsWith(Root + ".", StringComparison.Ordinal)))
            {
                continue;
            }
            if (!result.TryGetValue(space, out var used))
            {
                result[space] = used = [];
            }
            Collect(type, used);
        }
        return result;
    }

    private static void Collect(Type type, HashSet<Type> used)
    {
        const BindingFlags All =
            BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        Add(type.BaseType, used);
        foreach (var contract in type.GetInterfaces())
        {
            Add(contract, used);
        }
        AddAttributes(type.CustomAttributes, used);
        foreach (var field in type.GetFields(All))
        {
            Add(field.FieldType, used);
            AddAttributes(field.CustomAttributes, used);
        }
        foreach (var property in type.GetProperties(All))
        {
            Add(property.PropertyType, used);
        }
        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            AddAttributes(method.CustomAttributes, used);
            if (method is MethodInfo info)
            {
                Add(info.ReturnType, used);
            }
            foreach (var parameter in method.GetParameters())
            {
                Add(parameter.ParameterType, used);
                AddAttributes(parameter.CustomAttributes, used);
            }
            AddBody(method, used);
        }
    }

    private static void AddAttributes(IEnumerable<CustomAttributeData> attributes, HashSet<Type> used)
    {
        foreach (var attribute in attributes)
        {
            Add(attribute.AttributeType, used);
        }
    }

    /// <summary>The types, methods and fields a method body names, read from its IL.</summary>
    private static void AddBody(MethodBase method, HashSet<Type> used)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            return;
        }
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var at = 0;
        while (at < il.Length)
        {
            var value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var code = OpCodesByValue[value];
            switch (code.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    AddMember(method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments), used);
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                default:
                    at += OperandSize(code.OperandType);
                    break;
            }
        }
    }

    private static int OperandSize(OperandType operand) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };

    private static void AddMember(MemberInfo? member, HashSet<Type> used)
    {
        switch (member)
        {
            case Type type:
                Add(type, used);
                break;
            case FieldInfo field:
                Add(field.DeclaringType, used);
                Add(field.FieldType, used);
                break;
            case MethodBase method:
                Add(method.DeclaringType, used);
                if (method is MethodInfo info)
                {
                    Add(info.ReturnType, used);
                    foreach (var argument in info.IsGenericMethod ? info.GetGenericArguments() : [])
                    {
                        Add(argument, used);
                    }
                }
                foreach (var parameter in method.GetParameters())
                {
                    Add(parameter.ParameterType, used);
                }
                break;
        }
    }

    private static void Add(Type? type, HashSet<Type> used)
    {
        if (type is null || type.IsGenericParameter)
        {
            return;
        }
        if (type.HasElementType)
        {
            Add(type.GetElementType(), used);
            return;
        }
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                Add(argument, used);
            }
            type = type.GetGenericTypeDefinition();
        }
        used.Add(type);
    }
}
