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

    /// <summary>A matched box this many times larger or smaller (side) than predicted puts the match in doubt (a jump).</summary>
    [Range(1.05, 10)]
    public double JumpSizeRatio { get; set; } = 1.4;

    /// <summary>A matched box whose centre is this far from the prediction (in face sizes) puts the match in doubt.</summary>
    [Range(0.05, 10)]
    public double JumpDistance { get; set; } = 0.5;

    /// <summary>Landmarks that moved this much within the box (mean, as a fraction of the box) put the match in doubt.</summary>
    [Range(0.01, 1)]
    public double JumpLandmarks { get; set; } = 0.15;

    /// <summary>
    /// A shot cut (every track's next match in doubt) needs the 64-px grey thumbnails of two processed frames to
    /// correlate at most this much (after removing brightness; 1 = identical structure)...
    /// </summary>
    [Range(-1, 1)]
    public double ShotCutMaxCorrelation { get; set; } = 0.4;

    /// <summary>...and their 16-bin grey histograms to be at least this far apart (Bhattacharyya distance, 0..1; 1 turns cut detection off).</summary>
    [Range(0.01, 1)]
    public double ShotCutHistogramDistance { get; set; } = 0.15;

    /// <summary>
    /// A matched face whose 16x16 grey thumbnail correlates less than this with the track's previous match is in doubt
    /// (another face in the same place): it is embedded at once. 1 puts every match in doubt, -1 turns the check off.
    /// </summary>
    [Range(-1, 1)]
    public double FaceChangeMaxCorrelation { get; set; } = 0.5;
}
