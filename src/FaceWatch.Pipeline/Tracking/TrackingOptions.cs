using System.ComponentModel.DataAnnotations;

namespace FaceWatch.Pipeline.Tracking;

/// <summary>Section <c>Tracking</c>: how detections become tracks.</summary>
public sealed class TrackingOptions
{
    public const string SectionName = "Tracking";

    /// <summary>Least overlap (intersection over union) between a track's predicted box and a detection to match them.</summary>
    [Range(0.01, 0.99)]
    public double IouThreshold { get; set; } = 0.25;

    /// <summary>A track is tentative (no identity work, not drawn as confirmed) until matched in this many frames.</summary>
    [Range(1, 100)]
    public int MinHits { get; set; } = 2;

    /// <summary>A track with no matching detection for this long has ended (and gets a <c>left</c> event).</summary>
    [Range(0.1, 600)]
    public double MaxMissSeconds { get; set; } = 1.5;
}
