namespace FaceWatch.ModelConversion;

/// <summary>How one TFLite model becomes one ONNX file: output names, which dimensions are dynamic, and whether
/// the width/height transpose the MTCNN weights were trained with is baked into the graph.</summary>
public sealed record ConversionSpec(
    string SourceFile,
    string OutputFile,
    bool TransposeWidthHeight,
    bool DynamicBatch,
    bool DynamicSpatial,
    IReadOnlyList<OutputMapping> Outputs)
{
    /// <summary>The four models FaceWatch uses, as shipped in the npm package's <c>android/src/main/assets/</c>.</summary>
    public static IReadOnlyList<ConversionSpec> FaceWatchModels { get; } =
    [
        new("pnet.tflite", "pnet.onnx", TransposeWidthHeight: true, DynamicBatch: false, DynamicSpatial: true,
            [new("pnet/prob1", "prob"), new("pnet/conv4-2/BiasAdd", "bbox_reg")]),
        new("rnet.tflite", "rnet.onnx", TransposeWidthHeight: true, DynamicBatch: true, DynamicSpatial: false,
            [new("rnet/prob1", "prob"), new("rnet/conv5-2/conv5-2", "bbox_reg")]),
        new("onet.tflite", "onet.onnx", TransposeWidthHeight: true, DynamicBatch: true, DynamicSpatial: false,
            [new("onet/prob1", "prob"), new("onet/conv6-2/conv6-2", "bbox_reg"), new("onet/conv6-3/conv6-3", "landmarks")]),
        new("MobileFaceNet.tflite", "mobilefacenet.onnx", TransposeWidthHeight: false, DynamicBatch: true, DynamicSpatial: false,
            [new("embeddings", "embedding")]),
    ];

    public const string InputName = "input";
}

/// <summary>A TFLite output tensor (by name) and the ONNX output name it gets.</summary>
public sealed record OutputMapping(string TfliteName, string OnnxName);
