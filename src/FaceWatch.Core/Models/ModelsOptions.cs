using System.ComponentModel.DataAnnotations;

namespace FaceWatch.Core.Models;

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
    /// ONNX Runtime's memory pattern (one pre-planned block per input shape), on the sessions planned for one shape
    /// only (the fixed-shape P-Net sessions, <c>Detection:FixedShapeSessions</c>); never on R-Net, O-Net and the
    /// embedder, whose batch size changes nearly every call and got a pattern and a block for each. Off by default:
    /// no P-Net call got faster with it (alternating runs), and it held 34 MB more (docs/performance-memory.md).
    /// </summary>
    public bool MemoryPattern { get; set; }

    /// <summary>ONNX Runtime's CPU memory arena (buffers kept for reuse). Off was slower and larger (docs/models.md).</summary>
    public bool CpuMemArena { get; set; } = true;

    /// <summary>
    /// All sessions take their CPU buffers from one arena registered with ONNX Runtime's environment, instead of one
    /// arena per session, each holding its own high-water mark (docs/performance-memory.md). Only with
    /// <see cref="CpuMemArena"/>; the first factory of a process registers it, for the process's lifetime.
    /// </summary>
    public bool SharedArena { get; set; } = true;

    /// <summary>R-Net file precision.</summary>
    public ModelPrecision RNetPrecision { get; set; } = ModelPrecision.Float32;

    /// <summary>O-Net file precision.</summary>
    public ModelPrecision ONetPrecision { get; set; } = ModelPrecision.Float32;

    /// <summary>Fetch and convert missing models on first use.</summary>
    public bool AutoFetch { get; set; } = true;
}
