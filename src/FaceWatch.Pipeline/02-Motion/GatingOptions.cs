using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FaceWatch.Pipeline.Motion;

/// <summary>
/// Section <c>Gating</c>: where the detector looks. A camera mostly sees a still scene, so the detector runs only on
/// regions with motion and around live tracks; a full-frame scan still runs every <see cref="FullScanSeconds"/>, at
/// start, after a shot cut or a light change, and when motion covers most of the frame. Nothing moving and nothing tracked: no detection at all.
/// </summary>
public sealed class GatingOptions
{
    public const string SectionName = "Gating";

    /// <summary>Off: every processed frame gets a full-frame scan (the behaviour before gating).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// A full-frame scan at least this often, motion or not, so a face that appears without motion the gate saw
    /// (too slow, masked, too small) is still found. 0: only when the rules below ask for one.
    /// </summary>
    [Range(0, 3600)]
    public double FullScanSeconds { get; set; } = 5;

    /// <summary>
    /// Full scans asked for by motion (most of the frame moving, calibration, a light change) run at most this often; between them
    /// tracked faces are still re-found on their regions. Keeps a panning or flickering camera from costing a full
    /// scan per frame.
    /// </summary>
    [Range(0, 60)]
    public double MinFullScanSeconds { get; set; } = 0.5;

    /// <summary>Regions covering more than this share of the frame are scanned as one full frame instead.</summary>
    [Range(0.05, 1)]
    public double FullFrameShare { get; set; } = 0.5;

    /// <summary>
    /// While the scene is still (nothing moved for <see cref="StillSeconds"/>, nothing tracked, motion measured), motion
    /// is measured on every this many-th processed frame only; the frames between are not searched (as still frames are),
    /// and the first motion brings back every frame. A person coming in is then searched at most this many frames minus one late. 1: every frame.
    /// </summary>
    [Range(1, 15)]
    public int StillMotionEvery { get; set; } = 3;

    /// <summary>How long nothing must move (and nothing be tracked) before motion is measured every <see cref="StillMotionEvery"/>-th frame only.</summary>
    [Range(0, 3600)]
    public double StillSeconds { get; set; } = 2;

    /// <summary>Width of the grey frame motion is measured on (pixels; height keeps the aspect).</summary>
    [Range(64, 1280)]
    public int MotionWidth { get; set; } = 320;

    /// <summary>Grey-level difference (0-255) from the background that counts as motion.</summary>
    [Range(1, 255)]
    public int MotionThreshold { get; set; } = 25;

    /// <summary>Smallest motion blob kept, as a share of the motion frame (smaller blobs are noise).</summary>
    [Range(0, 0.5)]
    public double MinMotionShare { get; set; } = 0.0004;

    /// <summary>How fast the background follows the scene per frame (running average); a still person fades in after about 1/alpha frames.</summary>
    [Range(0.001, 1)]
    public double BackgroundAlpha { get; set; } = 0.05;

    /// <summary>Frames the background learns after a camera start, a cut or a light change; full scans (at most every MinFullScanSeconds) stand in for motion meanwhile.</summary>
    [Range(1, 1000)]
    public int CalibrationFrames { get; set; } = 5;

    /// <summary>Motion over this share of the frame at once is a light change (or the camera moved): the background starts again.</summary>
    [Range(0.05, 1)]
    public double LightChangeShare { get; set; } = 0.6;

    /// <summary>
    /// A face found in the previous frame is checked by R-Net and O-Net on its predicted box (a few shifted and scaled
    /// copies), without a pyramid search: a fraction of a region scan. Off, or once a track was missed: a region scan
    /// round the predicted box.
    /// </summary>
    public bool RefindTracks { get; set; } = true;

    /// <summary>
    /// A track missed in this many frames in a row is no longer searched for round its box (it coasts until
    /// <c>Tracking:MaxMissSeconds</c>; motion and full scans still find the face).
    /// </summary>
    [Range(0, 1000)]
    public int SearchMissedFrames { get; set; } = 3;

    /// <summary>A live track that was missed is looked for in a square this many times its face, around its predicted box.</summary>
    [Range(1.2, 8)]
    public double TrackRegionScale { get; set; } = 2.2;
}

/// <summary>Checks the data annotations and the rules between fields of <see cref="GatingOptions"/>.</summary>
public sealed class GatingOptionsValidator : IValidateOptions<GatingOptions>
{
    public ValidateOptionsResult Validate(string? name, GatingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.FullScanSeconds > 0 && options.MinFullScanSeconds > options.FullScanSeconds)
        {
            failures.Add(
                $"{GatingOptions.SectionName}:MinFullScanSeconds: {options.MinFullScanSeconds} is longer than FullScanSeconds {options.FullScanSeconds}; the periodic full scan could never run.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
