namespace FaceWatch.ModelConversion.Onnx;

/// <summary>One node attribute: exactly one of the values is set.</summary>
public sealed record OnnxAttribute(string Name, long? Int = null, long[]? Ints = null, float? Float = null, string? Text = null)
{
    public static OnnxAttribute Of(string name, long value) => new(name, Int: value);

    public static OnnxAttribute Of(string name, params long[] values) => new(name, Ints: values);

    public static OnnxAttribute Of(string name, float value) => new(name, Float: value);

    public static OnnxAttribute Of(string name, string value) => new(name, Text: value);
}

public sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<OnnxAttribute> Attributes);

/// <summary>A constant with its dimensions: exactly one of the arrays is set (float32, int64, or, in quantized graphs, int8, uint8, int32).</summary>
public sealed record OnnxInitializer(string Name, long[] Dims, float[]? Floats, long[]? Int64s, sbyte[]? Int8s = null, byte[]? UInt8s = null, int[]? Int32s = null);

/// <summary>A graph input or output: float32 tensor, each dimension a number or a symbolic name; <c>null</c> dims: shape not stated.</summary>
public sealed record OnnxValueInfo(string Name, IReadOnlyList<object>? Dims);

/// <summary>The subset of ONNX the converter emits: one graph, default domain, one opset.</summary>
public sealed class OnnxGraph
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public OnnxGraph(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public List<OnnxNode> Nodes { get; } = [];

    public List<OnnxInitializer> Initializers { get; } = [];

    public List<OnnxValueInfo> Inputs { get; } = [];

    public List<OnnxValueInfo> Outputs { get; } = [];

    /// <summary>A value name not used before in this graph, derived from <paramref name="wanted"/>.</summary>
    public string Unique(string wanted)
    {
        var name = wanted;
        for (var i = 1; !_names.Add(name); i++)
        {
            name = $"{wanted}_{i}";
        }

        return name;
    }

    /// <summary>Marks a name as taken (graphs read from a file).</summary>
    public void Reserve(string name) => _names.Add(name);

    /// <summary>Adds a node whose single output gets a fresh name derived from <paramref name="outputHint"/>.</summary>
    public string Add(string opType, string outputHint, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes)
    {
        var output = Unique(outputHint);
        Nodes.Add(new OnnxNode(opType, $"{opType}_{Nodes.Count}", inputs, [output], attributes));
        return output;
    }

    public string AddInitializer(string nameHint, long[] dims, float[] data)
    {
        var name = Unique(nameHint);
        Initializers.Add(new OnnxInitializer(name, dims, data, null));
        return name;
    }

    public string AddInitializer(string nameHint, long[] dims, long[] data)
    {
        var name = Unique(nameHint);
        Initializers.Add(new OnnxInitializer(name, dims, null, data));
        return name;
    }
}
