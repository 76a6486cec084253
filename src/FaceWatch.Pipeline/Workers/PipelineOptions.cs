using System.ComponentModel.DataAnnotations;

namespace FaceWatch.Pipeline.Workers;

/// <summary>Section <c>Pipeline</c>: how frames are prepared for detection.</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>Frames are shrunk for detection so their shorter side is at most this (boxes are mapped back), keeping CPU cost predictable.</summary>
    [Range(120, 4320)]
    public int DetectMaxSide { get; set; } = 720;
}

/// <summary>Cuts the aligned face crop (a new Mat the caller owns) of <c>InputSize</c> pixels out of a full frame.</summary>
public delegate OpenCvSharp.Mat AlignFace(OpenCvSharp.Mat frame, Detection.FaceDetection face);
