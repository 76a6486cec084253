namespace FaceWatch.ModelConversion.Tflite;

/// <summary>TFLite builtin operator codes the converter knows by name (values from the TFLite schema).</summary>
public enum TfliteOp
{
    Add = 0,
    Conv2D = 3,
    DepthwiseConv2D = 4,
    FullyConnected = 9,
    MaxPool2D = 17,
    Mul = 18,
    Relu = 19,
    Reshape = 22,
    Sub = 41,
    Div = 42,
    Exp = 47,
    Neg = 59,
    Sum = 74,
    ReduceMax = 82,
    Abs = 101,
}

/// <summary>TFLite tensor element types (schema values); only <see cref="Float32"/> and <see cref="Int32"/> (shape operands) are accepted.</summary>
public enum TfliteTensorType
{
    Float32 = 0,
    Float16 = 1,
    Int32 = 2,
    UInt8 = 3,
    Int64 = 4,
}

public enum TflitePadding
{
    Same = 0,
    Valid = 1,
}

public enum TfliteActivation
{
    None = 0,
    Relu = 1,
    ReluN1To1 = 2,
    Relu6 = 3,
    Tanh = 4,
    SignBit = 5,
}

/// <summary>A tensor: shape in TFLite's NHWC order, -1 for dynamic dimensions (from shape_signature).</summary>
public sealed record TfliteTensor(int Index, string Name, int[] Shape, TfliteTensorType Type, float[]? Data, int[]? IntData);

/// <summary>Options of the ops the converter understands (missing fields take the schema defaults).</summary>
public sealed record TfliteOptions
{
    public TflitePadding Padding { get; init; }
    public int StrideW { get; init; } = 1;
    public int StrideH { get; init; } = 1;
    public int DilationW { get; init; } = 1;
    public int DilationH { get; init; } = 1;
    public int DepthMultiplier { get; init; } = 1;
    public int FilterW { get; init; }
    public int FilterH { get; init; }
    public TfliteActivation Activation { get; init; }
    public bool KeepDims { get; init; }
    public int[]? NewShape { get; init; }
}

/// <summary>One operator of the graph; <see cref="Code"/> is the raw builtin code so unknown ops can be named.</summary>
public sealed record TfliteOperator(int Index, int Code, int[] Inputs, int[] Outputs, TfliteOptions Options)
{
    public TfliteOp Op => (TfliteOp)Code;

    /// <summary>Conv and FullyConnected: input 2 is the optional bias (absent or -1 when there is none).</summary>
    public int? BiasInput => Inputs.Length > 2 && Inputs[2] >= 0 ? Inputs[2] : null;
}

/// <summary>The first subgraph of a TFLite model: what the converter and the reference interpreter work on.</summary>
public sealed record TfliteModel(
    string SourceName,
    IReadOnlyList<TfliteTensor> Tensors,
    IReadOnlyList<int> Inputs,
    IReadOnlyList<int> Outputs,
    IReadOnlyList<TfliteOperator> Operators);
