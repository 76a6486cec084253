using FaceWatch.Core.Imaging;
using FaceWatch.Core.Health;
using System.Diagnostics;
using FaceWatch.Pipeline.Capture;
using OpenCvSharp;

using FaceWatch.Pipeline.Motion;
namespace FaceWatch.Pipeline.Detection;

/// <summary>What one camera's detection of a frame did: the faces, the scan it planned, the motion it measured, and its cost.</summary>
public sealed record CameraDetection(IReadOnlyList<FaceDetection> Faces, DetectionPlan Plan, MotionResult Motion, double Milliseconds);

// Size: six parameters: the shared detector, the camera and gating settings, the full-scan size limit, the clock frequency and the stats it counts into: the per-camera wiring of motion, gate and detector.
/// <summary>
/// One camera's detection: measures motion, asks the <see cref="DetectionGate"/> where to look, and runs the shared
/// detector there: on the whole frame (shrunk so its shorter side is at most <c>Pipeline:DetectMaxSide</c>), on
/// regions (at full resolution: each region's own pyramid scales it), or not at all. Boxes always in frame pixels.
/// One per camera, called by its detection worker only.
/// </summary>
public sealed class CameraDetector : IDisposable
{
    private readonly IFaceDetector _detector;
    private readonly MotionDetector _motion;
    private readonly DetectionGate _gate;
    private readonly GatingOptions _gating;
    private readonly int _minFace;
    private readonly int _maxShortSide;
    private readonly CameraStats? _stats;
    private readonly long _frequency;
    private long? _lastActive;
    private int _stillFrames;

    /// <param name="maxShortSide">Full frames are shrunk so their shorter side is at most this (<c>Pipeline:DetectMaxSide</c>).</param>
    /// <param name="stats">Where each frame's detection is counted (processed, still, scans, motion, milliseconds).</param>
    public CameraDetector(IFaceDetector detector, GatingOptions gating, CameraOptions camera, int maxShortSide, long timestampFrequency, CameraStats? stats = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(gating);
        ArgumentNullException.ThrowIfNull(camera);
        _detector = detector;
        _gating = gating;
        _minFace = camera.MinFaceSize;
        _maxShortSide = maxShortSide;
        _stats = stats;
        _frequency = timestampFrequency;
        _motion = new MotionDetector(gating, camera.MotionMasks);
        _gate = new DetectionGate(gating, camera.MinFaceSize, timestampFrequency);
    }

    /// <summary>Light changes the motion detector saw.</summary>
    public long LightChanges => _motion.LightChanges;

    /// <param name="tracks">Predicted boxes of the camera's live tracks (see <c>FaceTracker.Predicted</c>).</param>
    /// <param name="shotCut">The frame starts a new shot: the motion background is void and the whole frame is searched.</param>
    public CameraDetection Detect(Mat image, long timestamp, IReadOnlyList<(Rect2f Box, int Missed)> tracks, bool shotCut)
    {
        ArgumentNullException.ThrowIfNull(image);
        var started = Stopwatch.GetTimestamp();
        var motion = MotionResult.Calibrating;
        if (_gating.Enabled)
        {
            if (shotCut)
            {
                _motion.Restart();
            }

            motion = SkipMotion(timestamp, tracks.Count, shotCut) ? MotionResult.Skipped : _motion.Observe(image);
            if (shotCut || tracks.Count > 0 || motion.State != MotionState.Measured || motion.Areas.Count > 0 || _lastActive is null)
            {
                _lastActive = timestamp;
                _stillFrames = 0;
            }
        }

        var plan = _gate.Plan(new Size(image.Width, image.Height), timestamp, motion, tracks, shotCut);
        var faces = plan.Kind switch
        {
            ScanKind.Full => DetectFull(image),
            ScanKind.Regions => DetectRegions(image, plan),
            _ => [],
        };
        var found = new CameraDetection(faces, plan, motion, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _stats?.OnProcessed();
        _stats?.OnDetection(
            plan.Kind switch { ScanKind.Full => -1, ScanKind.Regions => plan.Regions.Count + plan.Refind.Count, _ => 0 },
            plan.Reason == ScanReason.Still,
            motion.Share,
            found.Milliseconds);
        return found;
    }

    /// <summary>
    /// True when the scene has been still for <c>StillSeconds</c> (no motion, no tracks, motion measured) and this frame
    /// is not the <c>StillMotionEvery</c>-th: its motion is not measured (nor its background learnt), it counts as still.
    /// </summary>
    private bool SkipMotion(long timestamp, int tracks, bool shotCut)
    {
        if (_gating.StillMotionEvery <= 1 || shotCut || tracks > 0 || _lastActive is not { } active
            || (double)(timestamp - active) / _frequency < _gating.StillSeconds)
        {
            return false;
        }

        return ++_stillFrames % _gating.StillMotionEvery != 0;
    }

    /// <summary>Regions and re-found tracks; a tracked face R-Net/O-Net did not confirm is searched for round its box at once.</summary>
    private IReadOnlyList<FaceDetection> DetectRegions(Mat image, DetectionPlan plan)
    {
        var faces = _detector.DetectIn(image, plan.Regions, plan.Refind);
        var lost = plan.Refind.Where(box => !faces.Any(f => Overlaps(f.Box, box))).ToArray();
        if (lost.Length == 0)
        {
            return faces;
        }

        var frame = new Size(image.Width, image.Height);
        var around = _gate.RegionsFor(lost, frame);
        var again = _detector.DetectIn(image, around);
        return [.. faces, .. again.Where(f => !faces.Any(g => Overlaps(g.Box, f.Box)))];
    }

    private static bool Overlaps(Rect2f a, Rect2f b)
    {
        var w = Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X);
        var h = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y);
        return w > 0 && h > 0 && w * h >= 0.3f * Math.Min(a.Width * a.Height, b.Width * b.Height);
    }

    public void Dispose() => _motion.Dispose();

    private IReadOnlyList<FaceDetection> DetectFull(Mat image)
    {
        if (Downscaler.LimitFor(new Size(image.Width, image.Height), maxShortSide: _maxShortSide) is not { } size)
        {
            return _detector.Detect(image, _minFace);
        }

        using var small = new Mat();
        var back = Downscaler.Shrink(image, small, size);
        var minFace = Math.Max(12, (int)Math.Round(_minFace / back));
        return _detector.Detect(small, minFace)
            .Select(d => d with
            {
                Box = new Rect2f(d.Box.X * back, d.Box.Y * back, d.Box.Width * back, d.Box.Height * back),
                Landmarks = d.Landmarks.Select(p => new Point2f(p.X * back, p.Y * back)).ToArray(),
            })
            .ToArray();
    }
}
