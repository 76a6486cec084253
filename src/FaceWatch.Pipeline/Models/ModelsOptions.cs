using System.ComponentModel.DataAnnotations;

namespace FaceWatch.Pipeline.Models;

/// <summary>Execution providers that can run the models.</summary>
public enum ExecutionProviderKind
{
    Cpu,
    Cuda,
    DirectML,
    /// <summary>Try the GPU providers this build has, fall back to CPU.</summary>
    Auto,
}

/// <summary>ONNX Runtime graph optimisation level.</summary>
public enum ModelOptimizationLevel
{
    None,
    Basic,
    Extended,
    All,
}

/// <summary>Numeric precision of a converted network's file: the float32 conversion, or its int8 QDQ variant (<c>*.int8.onnx</c>).</summary>
public enum ModelPrecision
{
    Float32,
    Int8,
}

/// <summary>Section <c>Models</c>: where the ONNX files live and how they run.</summary>
public sealed class ModelsOptions
{
    public const string SectionName = "Models";

    /// <summary>Folder with the converted models and <c>models.json</c>. Empty: <c>models/</c> in the working directory, then next to the executable.</summary>
    public string Dir { get; set; } = "";

    public ExecutionProviderKind Provider { get; set; } = ExecutionProviderKind.Cpu;

    /// <summary>Intra-op threads per session; 0 means all cores.</summary>
    [Range(0, 256)]
    public int Threads { get; set; }

    /// <summary>The intra-op thread count <see cref="Threads"/> stands for (0: all cores).</summary>
    public int ThreadsOrAllCores() => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>Graph optimisation ONNX Runtime applies when it loads a model.</summary>
    public ModelOptimizationLevel Optimization { get; set; } = ModelOptimizationLevel.All;

    /// <summary>
    /// Let ONNX Runtime's intra-op worker threads busy-wait for work (its default). Off by default: on a loaded
    /// machine, with several cameras and small nets, spinning burns the cores other sessions need (docs/models.md).
    /// Only matters with more than one thread per session.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>P-Net file: float32 (<c>pnet.onnx</c>) or int8 QDQ (<c>pnet.int8.onnx</c>); see docs/models.md for the measurements.</summary>
    public ModelPrecision PNetPrecision { get; set; } = ModelPrecision.Float32;

    /// <summary>
    /// ONNX Runtime's memory pattern (pre-planned buffers per input shape) and CPU memory arena (buffers kept for reuse).
    /// Both trade memory for speed; with P-Net's many input shapes and batches of changing size they can hold much
    /// memory (issue 13, item 5; measured in <c>bench pipeline</c>, docs/detection.md).
    /// </summary>
    public bool MemoryPattern { get; set; } = true;

    /// <inheritdoc cref="MemoryPattern"/>
    public bool CpuMemArena { get; set; } = true;

    /// <summary>R-Net file precision.</summary>
    public ModelPrecision RNetPrecision { get; set; } = ModelPrecision.Float32;

    /// <summary>O-Net file precision.</summary>
    public ModelPrecision ONetPrecision { get; set; } = ModelPrecision.Float32;

    /// <summary>Fetch and convert missing models on first use.</summary>
    public bool AutoFetch { get; set; } = true;
}
