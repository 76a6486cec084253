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
    /// At most this many cameras detect at the same time (0: no limit, every camera detects when its frame comes). A
    /// limit saves the ONNX Runtime buffers and workspaces of detections in flight (about 65 MB with 4 cameras on 2
    /// cores, docs/performance-memory.md) but, with gated detection (short calls), makes cameras wait: 8 cameras on 2
    /// cores processed 9.3 fps with 2 slots and 12.2 without (docs/gating.md).
    /// </summary>
    [Range(0, 64)]
    public int ParallelDetections { get; set; }

    /// <summary>The number of detections in flight <see cref="ParallelDetections"/> allows (<see cref="int.MaxValue"/>: no limit).</summary>
    public int ParallelDetectionsLimit() => ParallelDetections > 0 ? ParallelDetections : int.MaxValue;
}

/// <summary>Cuts the aligned face crop (a new Mat the caller owns) of <c>InputSize</c> pixels out of a full frame.</summary>
public delegate OpenCvSharp.Mat AlignFace(OpenCvSharp.Mat frame, Detection.FaceDetection face);
