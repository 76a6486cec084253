using System.ComponentModel.DataAnnotations;

namespace FaceWatch.Pipeline.Workers;

/// <summary>Section <c>Pipeline</c>: how frames are prepared for detection.</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>Frames are shrunk for detection so their shorter side is at most this (boxes are mapped back), keeping CPU cost predictable.</summary>
    [Range(120, 4320)]
    public int DetectMaxSide { get; set; } = 720;

    /// <summary>
    /// At most this many cameras detect at the same time (0: one per core). More in flight than cores adds no
    /// throughput, only ONNX Runtime buffers and workspaces (docs/performance-memory.md).
    /// </summary>
    [Range(0, 64)]
    public int ParallelDetections { get; set; }

    /// <summary>The number of detections in flight <see cref="ParallelDetections"/> stands for (0: one per core).</summary>
    public int ParallelDetectionsOrCores() => ParallelDetections > 0 ? ParallelDetections : Environment.ProcessorCount;
}

/// <summary>Cuts the aligned face crop (a new Mat the caller owns) of <c>InputSize</c> pixels out of a full frame.</summary>
public delegate OpenCvSharp.Mat AlignFace(OpenCvSharp.Mat frame, Detection.FaceDetection face);
