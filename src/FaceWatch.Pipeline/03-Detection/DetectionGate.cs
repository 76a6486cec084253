using OpenCvSharp;

using FaceWatch.Pipeline.Motion;
namespace FaceWatch.Pipeline.Detection;

/// <summary>A part of the frame to search (frame pixels) and the smallest face looked for there.</summary>
public readonly record struct DetectionRegion(Rect Area, int MinFace);

/// <summary>How much of a frame the detector searches.</summary>
public enum ScanKind
{
    /// <summary>Nothing moved and nothing is tracked: no detection.</summary>
    None,

    /// <summary>Only <see cref="DetectionPlan.Regions"/>.</summary>
    Regions,

    /// <summary>The whole frame.</summary>
    Full,
}

/// <summary>Why a frame gets the scan it gets (for metrics and the overlay).</summary>
public enum ScanReason
{
    Still,
    Motion,
    Tracks,
    First,
    ShotCut,
    Periodic,
    Calibrating,
    LightChange,
    Busy,
    GatingOff,
}

/// <summary>
/// The scan of one frame: full, some regions, or none; <see cref="Share"/> is the share of the frame searched by P-Net.
/// <see cref="Refind"/>: predicted boxes of tracked faces checked by R-Net and O-Net alone (no pyramid search).
/// </summary>
public sealed record DetectionPlan(ScanKind Kind, IReadOnlyList<DetectionRegion> Regions, ScanReason Reason, double Share)
{
    public IReadOnlyList<Rect2f> Refind { get; init; } = [];

    public static DetectionPlan FullFrame(ScanReason reason) => new(ScanKind.Full, [], reason, 1);
}

/// <summary>
/// Decides where one camera's detector looks in a frame, from the motion measured on it and the boxes of its live
/// tracks: motion blobs (padded so a whole face fits) and each track's predicted box (enlarged) become regions, touching
/// regions merge; a full scan runs first, after a shot cut, every <c>FullScanSeconds</c>, and (at most every
/// <c>MinFullScanSeconds</c>) while motion is unknown (calibration, light change) or the regions would cover most of the
/// frame. Pure: the
/// caller gives timestamps, so it is tested without a clock. One per camera.
/// </summary>
public sealed class DetectionGate
{
    // Region edges snap to this grid, so a camera sees few distinct region shapes (each shape is a pyramid plan).
    private const int Grid = 16;

    private const double MaxMergeScaleRatio = 1.5;

    private readonly GatingOptions _options;
    private readonly int _minFace;
    private readonly long _frequency;
    private long? _lastFull;

    /// <param name="minFace">The camera's smallest face (frame pixels).</param>
    /// <param name="timestampFrequency">Ticks per second of the timestamps given to <see cref="Plan"/>.</param>
    public DetectionGate(GatingOptions options, int minFace, long timestampFrequency)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(minFace, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timestampFrequency, 1);
        _options = options;
        _minFace = minFace;
        _frequency = timestampFrequency;
    }

    /// <summary>Plans the scan of a frame of <paramref name="frame"/> size taken at <paramref name="timestamp"/>.</summary>
    /// <param name="tracks">Predicted boxes of the camera's live tracks, with how many frames in a row each was missed.</param>
    public DetectionPlan Plan(Size frame, long timestamp, MotionResult motion, IReadOnlyList<(Rect2f Box, int Missed)> tracks, bool shotCut)
    {
        ArgumentNullException.ThrowIfNull(motion);
        ArgumentNullException.ThrowIfNull(tracks);
        if (!_options.Enabled)
        {
            return Full(timestamp, ScanReason.GatingOff);
        }

        var sinceFull = _lastFull is { } last ? (double)(timestamp - last) / _frequency : double.PositiveInfinity;
        if (_lastFull is null)
        {
            return Full(timestamp, ScanReason.First);
        }

        if (shotCut)
        {
            return Full(timestamp, ScanReason.ShotCut);
        }

        if (_options.FullScanSeconds > 0 && sinceFull >= _options.FullScanSeconds)
        {
            return Full(timestamp, ScanReason.Periodic);
        }

        var mayFull = sinceFull >= _options.MinFullScanSeconds;
        // Motion unknown (a light change, or the background is being learnt after a start, cut or light change): full
        // scans stand in for it, at most every MinFullScanSeconds (a start or cut had its own full scan just before);
        // tracked faces are followed between them.
        if (motion.State != MotionState.Measured && mayFull)
        {
            return Full(timestamp, motion.State == MotionState.LightChange ? ScanReason.LightChange : ScanReason.Calibrating);
        }

        var regions = new List<DetectionRegion>(motion.Areas.Count + tracks.Count);
        foreach (var area in motion.Areas)
        {
            // A blob is often only the moving part of a person: pad it so the whole face is inside the region.
            var pad = Math.Max(_minFace, (int)(0.15 * Math.Max(area.Width, area.Height)));
            regions.Add(new DetectionRegion(Snap(new Rect(area.X - pad, area.Y - pad, area.Width + (2 * pad), area.Height + (2 * pad)), frame), _minFace));
        }

        var fromMotion = regions.Count;
        var refind = new List<Rect2f>();
        for (var t = 0; t < tracks.Count; t++)
        {
            var (box, missed) = tracks[t];
            // Faces that overlap (people crossing) are searched with P-Net: re-finding on predicted boxes could merge them.
            if (_options.RefindTracks && missed == 0 && !OverlapsAnother(tracks, t))
            {
                // Found in the last frame: its face is about where predicted, R-Net and O-Net check it there.
                refind.Add(box);
                continue;
            }

            if (missed > _options.SearchMissedFrames)
            {
                // Gone, most likely (left, hidden, a cut): the tracker keeps it a while to re-associate, but only
                // motion and full scans look for it now.
                continue;
            }

            regions.Add(TrackRegion(box, missed, frame));
        }

        var merged = Merge(regions, frame);
        var share = Share(merged, frame);
        if (share > _options.FullFrameShare && mayFull)
        {
            return Full(timestamp, ScanReason.Busy);
        }

        var fromTracksOnly = fromMotion == 0;
        if (motion.State != MotionState.Measured || share > _options.FullFrameShare)
        {
            // Too soon for another full scan: follow the tracked faces only.
            merged = Merge(regions.Skip(fromMotion).ToList(), frame);
            share = Share(merged, frame);
            fromTracksOnly = true;
        }

        if (merged.Count == 0 && refind.Count == 0)
        {
            // Nothing to search: nothing moved, or motion covers too much (or is unknown) and the last full scan is too recent.
            return new DetectionPlan(ScanKind.None, [], fromTracksOnly && (fromMotion > 0 || motion.State != MotionState.Measured) ? ScanReason.Busy : ScanReason.Still, 0);
        }

        return new DetectionPlan(ScanKind.Regions, merged, fromTracksOnly ? ScanReason.Tracks : ScanReason.Motion, share) { Refind = refind };
    }

    private static bool OverlapsAnother(IReadOnlyList<(Rect2f Box, int Missed)> tracks, int t)
    {
        var a = tracks[t].Box;
        for (var i = 0; i < tracks.Count; i++)
        {
            var b = tracks[i].Box;
            if (i != t && a.X < b.Right && b.X < a.Right && a.Y < b.Bottom && b.Y < a.Bottom)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Merged search regions round tracked faces' boxes (e.g. ones R-Net and O-Net did not confirm).</summary>
    public IReadOnlyList<DetectionRegion> RegionsFor(IEnumerable<Rect2f> boxes, Size frame) =>
        Merge(boxes.Select(b => TrackRegion(b, 0, frame)).ToList(), frame);

    private DetectionRegion TrackRegion(Rect2f box, int missed, Size frame)
    {
        var face = Math.Max(box.Width, box.Height);
        // A coasting track is less certain of where its face is: look wider the longer it is missed.
        var side = face * _options.TrackRegionScale * Math.Min(2, 1 + (0.25 * missed));
        var cx = box.X + (box.Width / 2);
        var cy = box.Y + (box.Height / 2);
        var area = Snap(new Rect((int)(cx - (side / 2)), (int)(cy - (side / 2)), (int)Math.Ceiling(side), (int)Math.Ceiling(side)), frame);
        // Faces well below the track's size are not this face: a smaller minimum face only makes the pyramid deeper.
        var minFace = Math.Max(_minFace, (int)(0.5 * Math.Min(box.Width, box.Height)) / 8 * 8);
        return new DetectionRegion(area, minFace);
    }

    private DetectionPlan Full(long timestamp, ScanReason reason)
    {
        _lastFull = timestamp;
        return DetectionPlan.FullFrame(reason);
    }

    /// <summary>Grows the rectangle to the grid and clips it to the frame.</summary>
    private static Rect Snap(Rect r, Size frame)
    {
        var x1 = Math.Max(0, (int)Math.Floor(r.X / (double)Grid) * Grid);
        var y1 = Math.Max(0, (int)Math.Floor(r.Y / (double)Grid) * Grid);
        var x2 = Math.Min(frame.Width, (int)Math.Ceiling(r.Right / (double)Grid) * Grid);
        var y2 = Math.Min(frame.Height, (int)Math.Ceiling(r.Bottom / (double)Grid) * Grid);
        return new Rect(x1, y1, Math.Max(0, x2 - x1), Math.Max(0, y2 - y1));
    }

    /// <summary>
    /// Regions that overlap or touch and search about the same face sizes become their bounding box (with the smaller
    /// minimum face), until none do.
    /// </summary>
    internal static List<DetectionRegion> Merge(List<DetectionRegion> regions, Size frame)
    {
        var list = regions.Where(r => r.Area.Width > 0 && r.Area.Height > 0).ToList();
        var changed = true;
        while (changed)
        {
            changed = false;
            for (var i = 0; i < list.Count && !changed; i++)
            {
                for (var j = i + 1; j < list.Count; j++)
                {
                    var a = list[i].Area;
                    var b = list[j].Area;
                    // Only regions searched at about the same scale: a big face's region taking a small face's minimum
                    // would search all of it at the fine scale. Overlaps left apart are deduplicated after P-Net.
                    var ratio = (double)Math.Max(list[i].MinFace, list[j].MinFace) / Math.Min(list[i].MinFace, list[j].MinFace);
                    if (ratio <= MaxMergeScaleRatio && a.X <= b.Right && b.X <= a.Right && a.Y <= b.Bottom && b.Y <= a.Bottom)
                    {
                        list[i] = new DetectionRegion(Snap(a | b, frame), Math.Min(list[i].MinFace, list[j].MinFace));
                        list.RemoveAt(j);
                        changed = true;
                        break;
                    }
                }
            }
        }

        return list;
    }

    private static double Share(List<DetectionRegion> regions, Size frame) =>
        regions.Sum(r => (double)r.Area.Width * r.Area.Height) / Math.Max(1.0, (double)frame.Width * frame.Height);
}
