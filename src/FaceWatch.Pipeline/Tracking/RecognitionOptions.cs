using System.ComponentModel.DataAnnotations;

namespace FaceWatch.Pipeline.Tracking;

/// <summary>Section <c>Recognition</c>: quality gates, when to embed a track, and how evidence becomes a decision.</summary>
public sealed class RecognitionOptions
{
    public const string SectionName = "Recognition";

    /// <summary>Least detector score for a face to be embedded.</summary>
    [Range(0.0, 1.0)]
    public double MinScore { get; set; } = 0.9;

    /// <summary>Least sharpness (variance of the Laplacian of the grey aligned crop) for a face to be embedded; 0 turns the blur check off.</summary>
    [Range(0.0, 10000)]
    public double MinSharpness { get; set; } = 15;

    /// <summary>While undecided, embed the track at most every this many detected frames...</summary>
    [Range(1, 1000)]
    public int EmbedEveryFrames { get; set; } = 3;

    /// <summary>...or sooner when the face is this much larger (side) or sharper than the best so far.</summary>
    [Range(1.0, 10.0)]
    public double BetterFaceRatio { get; set; } = 1.3;

    /// <summary>A decided track with this many observations is settled: only re-checked every <see cref="RecheckSeconds"/>.</summary>
    [Range(1, 1000)]
    public int SettledObservations { get; set; } = 4;

    [Range(0.1, 3600)]
    public double RecheckSeconds { get; set; } = 3;

    /// <summary>One known observation with at least this probability (and a face of full weight) decides at once.</summary>
    [Range(0.0, 1.0)]
    public double StrongProbability { get; set; } = 0.85;

    /// <summary>Otherwise: at least this many observations before any decision...</summary>
    [Range(1, 100)]
    public int MinObservations { get; set; } = 2;

    /// <summary>...and <c>unknown</c> needs at least this many observations saying so.</summary>
    [Range(1, 100)]
    public int MinUnknownObservations { get; set; } = 4;

    /// <summary>The leading name needs this share of the weighted votes (0.5..1) to decide or to change a decision.</summary>
    [Range(0.5, 1.0)]
    public double MinShare { get; set; } = 0.6;

    /// <summary>Votes are counted over the latest this many observations, so a decision can change.</summary>
    [Range(1, 1000)]
    public int Window { get; set; } = 12;

    /// <summary>
    /// A known person whose track ended and who is named again on the same camera within this many seconds continues the
    /// same visit (a camera cut, an occlusion): no second <c>arrived</c>, one <c>left</c> at the end. 0 turns this off.
    /// </summary>
    [Range(0.0, 600)]
    public double RejoinSeconds { get; set; } = 4;

    /// <summary>Most aligned crops embedded in one batched call (across cameras).</summary>
    [Range(1, 256)]
    public int BatchSize { get; set; } = 8;

    /// <summary>Aligned crops waiting for the embedder; when full the oldest is dropped.</summary>
    [Range(1, 4096)]
    public int CropQueueCapacity { get; set; } = 32;
}
