using Mono.Cecil;
using Mono.Cecil.Cil;

namespace FaceWatch.Tests.Architecture;

/// <summary>
/// Which rooms (namespaces below <c>FaceWatch.</c>) use which, read from the compiled assemblies with Mono.Cecil:
/// signatures, base types, attributes and every type, method and field a method body touches.
/// </summary>
internal sealed class DependencyGraph
{
    public static readonly string[] AssemblyNames = ["FaceWatch.Core", "FaceWatch.Pipeline", "FaceWatch.Hosting", "FaceWatch.Web", "FaceWatch.ModelConversion", "FaceWatch.Cluster", "facewatch"];

    private DependencyGraph(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> edges, IReadOnlyDictionary<string, IReadOnlySet<string>> external)
    {
        Edges = edges;
        External = external;
    }

    /// <summary>Room -> used room -> one example (<c>Type -> UsedType</c>), rooms in FaceWatch only.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Edges { get; }

    /// <summary>Room -> full names of the non-FaceWatch types it uses (for "no hosted service here" rules).</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> External { get; }

    public static DependencyGraph Load()
    {
        var edges = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var external = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var name in AssemblyNames)
        {
            var path = Path.Combine(AppContext.BaseDirectory, name + ".dll");
            using var module = ModuleDefinition.ReadModule(path);
            foreach (var type in module.GetTypes())
            {
                var from = RoomOf(TopLevel(type).Namespace);
                if (from is null)
                {
                    continue;
                }

                foreach (var used in Uses(type))
                {
                    var target = TopLevel(used);
                    var to = RoomOf(target.Namespace);
                    if (to is null)
                    {
                        Add(external, from, target.FullName);
                    }
                    else if (to != from)
                    {
                        var map = edges.TryGetValue(from, out var m) ? m : edges[from] = new Dictionary<string, string>(StringComparer.Ordinal);
                        map.TryAdd(to, $"{type.FullName} -> {target.FullName}");
                    }
                }
            }
        }

        return new DependencyGraph(
            edges.ToDictionary(e => e.Key, e => (IReadOnlyDictionary<string, string>)e.Value, StringComparer.Ordinal),
            external.ToDictionary(e => e.Key, e => (IReadOnlySet<string>)e.Value, StringComparer.Ordinal));
    }

    /// <summary><c>FaceWatch.Pipeline.Detection</c> -> <c>Pipeline.Detection</c>; the executable's namespaces are room <c>App</c>.</summary>
    public static string? RoomOf(string ns)
    {
        if (ns is "FaceWatch" || ns.StartsWith("FaceWatch.Commands", StringComparison.Ordinal) || ns.StartsWith("FaceWatch.Configuration", StringComparison.Ordinal))
        {
            return "App";
        }

        if (!ns.StartsWith("FaceWatch.", StringComparison.Ordinal) || ns.StartsWith("FaceWatch.Tests", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = ns["FaceWatch.".Length..].Split('.');
        return parts[0] is "ModelConversion" or "Cluster" ? parts[0] : parts.Length == 1 ? parts[0] : parts[0] + "." + parts[1];
    }

    private static void Add(Dictionary<string, HashSet<string>> map, string key, string value)
    {
        if (!map.TryGetValue(key, out var set))
        {
            map[key] = set = new HashSet<string>(StringComparer.Ordinal);
        }

        set.Add(value);
    }

    private static TypeReference TopLevel(TypeReference type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }

    private static IEnumerable<TypeReference> Uses(TypeDefinition type)
    {
        if (type.BaseType is not null)
        {
            foreach (var t in Expand(type.BaseType))
            {
                yield return t;
            }
        }

        foreach (var i in type.Interfaces)
        {
            foreach (var t in Expand(i.InterfaceType))
            {
                yield return t;
            }
        }

        foreach (var a in type.CustomAttributes)
        {
            yield return a.AttributeType;
        }

        foreach (var f in type.Fields)
        {
            foreach (var t in Expand(f.FieldType))
            {
                yield return t;
            }
        }

        foreach (var p in type.Properties)
        {
            foreach (var t in Expand(p.PropertyType))
            {
                yield return t;
            }
        }

        foreach (var m in type.Methods)
        {
            foreach (var t in Signature(m))
            {
                yield return t;
            }

            if (!m.HasBody)
            {
                continue;
            }

            foreach (var v in m.Body.Variables)
            {
                foreach (var t in Expand(v.VariableType))
                {
                    yield return t;
                }
            }

            foreach (var instruction in m.Body.Instructions)
            {
                foreach (var t in Operand(instruction))
                {
                    yield return t;
                }
            }
        }
    }

    private static IEnumerable<TypeReference> Operand(Instruction instruction) => instruction.Operand switch
    {
        TypeReference t => Expand(t),
        MethodReference m => Expand(m.DeclaringType).Concat(Signature(m)),
        FieldReference f => Expand(f.DeclaringType).Concat(Expand(f.FieldType)),
        _ => [],
    };

    private static IEnumerable<TypeReference> Signature(MethodReference method)
    {
        foreach (var t in Expand(method.ReturnType))
        {
            yield return t;
        }

        foreach (var p in method.Parameters)
        {
            foreach (var t in Expand(p.ParameterType))
            {
                yield return t;
            }
        }

        if (method is GenericInstanceMethod generic)
        {
            foreach (var a in generic.GenericArguments)
            {
                foreach (var t in Expand(a))
                {
                    yield return t;
                }
            }
        }
    }

    /// <summary>A type and what it is made of: element types of arrays and refs, generic arguments.</summary>
    private static IEnumerable<TypeReference> Expand(TypeReference type)
    {
        switch (type)
        {
            case GenericParameter:
                yield break;
            case GenericInstanceType generic:
                foreach (var t in Expand(generic.ElementType))
                {
                    yield return t;
                }

                foreach (var a in generic.GenericArguments)
                {
                    foreach (var t in Expand(a))
                    {
                        yield return t;
                    }
                }

                yield break;
            case TypeSpecification spec:
                foreach (var t in Expand(spec.ElementType))
                {
                    yield return t;
                }

                yield break;
            default:
                yield return type;
                break;
        }
    }
}
