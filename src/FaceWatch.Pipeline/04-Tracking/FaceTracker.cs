using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Tracking;

/// <summary>One face followed over frames.</summary>
public sealed class Track
{
    private readonly int _minHits;

    internal Track(long id, FaceDetection detection, long timestamp, DateTimeOffset seenAt, int minHits)
    {
        Id = id;
        _minHits = minHits;
        Filter = new BoxKalmanFilter(detection.Box);
        Detection = detection;
        Box = detection.Box;
        Hits = 1;
        LastUpdate = timestamp;
        LastPredict = timestamp;
        LastDetection = detection;
        FirstSeen = seenAt;
        LastSeen = seenAt;
    }

    public long Id { get; }

    /// <summary>The filtered box (frame pixels).</summary>
    public Rect2f Box { get; internal set; }

    /// <summary>The detection matched in the latest update, or null if the track was missed in it.</summary>
    public FaceDetection? Detection { get; internal set; }

    public int Hits { get; internal set; }

    /// <summary>Matched in <c>MinHits</c> frames (hits only grow, so a confirmed track stays confirmed).</summary>
    public bool Confirmed => Hits >= _minHits;

    public DateTimeOffset FirstSeen { get; }

    public DateTimeOffset LastSeen { get; internal set; }

    internal long LastUpdate { get; set; }

    internal long LastPredict { get; set; }


    internal BoxKalmanFilter Filter { get; }

    /// <summary>
    /// The detection of the latest match, kept while the track coasts: its box is a second reference when the prediction
    /// drifted, its landmarks the reference for landmark jumps.
    /// </summary>
    internal FaceDetection LastDetection { get; set; }

    /// <summary>Why the face matched in the latest update may be someone else (None when not matched or no doubt).</summary>
    public ContinuityDoubt Doubt { get; internal set; }

    /// <summary>Thumbnail of the face at the latest match (see <see cref="FacePatchCheck"/>); null before the first.</summary>
    internal float[]? Patch { get; set; }

    /// <summary>Processed frames in a row without a match.</summary>
    internal int Missed { get; set; }

    /// <summary>The box overlapped another track's in the latest update.</summary>
    internal bool Crowded { get; set; }
}

/// <summary>What one tracker update did.</summary>
public sealed record TrackerUpdate(IReadOnlyList<Track> Active, IReadOnlyList<Track> Ended);

// Size: SORT association, continuity doubts and track lifetimes act on the same track list in one update; the Kalman filter and the doubt rules are already their own classes.
/// <summary>
/// SORT-style face tracker: predict each track with a constant-velocity Kalman filter, match detections by IoU
/// (greedy, best overlap first: faces rarely overlap, so this equals the optimal assignment in practice), start a
/// tentative track for each unmatched detection, confirm after <c>MinHits</c> matches, end a track after
/// <c>MaxMissSeconds</c> without a match. Single-threaded: one tracker per camera. Times are <see cref="TimeProvider"/> timestamps.
/// </summary>
public sealed class FaceTracker
{
    private readonly TrackingOptions _options;
    private readonly TimeProvider _time;
    private readonly List<Track> _tracks = [];
    private readonly TrackIdSource _ids;

    public FaceTracker(TrackingOptions options, TimeProvider time, long firstId = 1)
        : this(options, time, new TrackIdSource(firstId))
    {
    }

    public FaceTracker(TrackingOptions options, TimeProvider time, TrackIdSource ids)
    {
        _options = options;
        _time = time;
        _ids = ids;
    }

    public IReadOnlyList<Track> Tracks => _tracks;

    public TrackingOptions Options => _options;

    /// <summary>
    /// Feeds the detections of one frame taken at <paramref name="timestamp"/> / <paramref name="seenAt"/>.
    /// <paramref name="shotCut"/>: the frame starts a new shot, so every match is in doubt (<see cref="Track.Doubt"/>).
    /// </summary>
    public TrackerUpdate Update(IReadOnlyList<FaceDetection> detections, long timestamp, DateTimeOffset seenAt, bool shotCut = false)
    {
        ArgumentNullException.ThrowIfNull(detections);
        // Until a track is matched below, its Box is its prediction for this frame (the matching reads it there).
        foreach (var track in _tracks)
        {
            track.Box = track.Filter.Predict(_time.GetElapsedTime(track.LastPredict, timestamp).TotalSeconds);
            track.LastPredict = timestamp;
            track.Detection = null;
            track.Doubt = ContinuityDoubt.None;
        }

        var pairs = new List<(double Iou, int Track, int Detection)>();
        for (var t = 0; t < _tracks.Count; t++)
        {
            for (var d = 0; d < detections.Count; d++)
            {
                var iou = Iou(_tracks[t].Box, detections[d].Box);
                if (iou >= _options.IouThreshold)
                {
                    pairs.Add((iou, t, d));
                }
            }
        }

        pairs.Sort((a, b) => ConfirmedFirst(a.Track, b.Track) is var c and not 0 ? c : b.Iou.CompareTo(a.Iou));
        var trackUsed = new bool[_tracks.Count];
        var detectionUsed = new bool[detections.Count];
        foreach (var (_, t, d) in pairs)
        {
            if (trackUsed[t] || detectionUsed[d])
            {
                continue;
            }

            trackUsed[t] = detectionUsed[d] = true;
            Match(_tracks[t], detections[d], timestamp, seenAt, shotCut);
        }

        // Second chance for fast movers (low detection rates): near centres and similar sizes, when overlap failed.
        var near = new List<(double Distance, int Track, int Detection)>();
        for (var t = 0; t < _tracks.Count; t++)
        {
            for (var d = 0; d < detections.Count; d++)
            {
                if (!trackUsed[t] && !detectionUsed[d] && Near(_tracks[t].Box, _tracks[t].LastDetection.Box, detections[d].Box) is { } distance)
                {
                    near.Add((distance, t, d));
                }
            }
        }

        near.Sort((a, b) => ConfirmedFirst(a.Track, b.Track) is var c and not 0 ? c : a.Distance.CompareTo(b.Distance));
        foreach (var (_, t, d) in near)
        {
            if (!trackUsed[t] && !detectionUsed[d])
            {
                trackUsed[t] = detectionUsed[d] = true;
                Match(_tracks[t], detections[d], timestamp, seenAt, shotCut);
            }
        }

        var matched = _tracks.Where((_, t) => trackUsed[t]).ToList();
        for (var t = 0; t < trackUsed.Length; t++)
        {
            _tracks[t].Missed = trackUsed[t] ? 0 : _tracks[t].Missed + 1;
        }

        MarkCrossings(matched);
        for (var d = 0; d < detections.Count; d++)
        {
            // A second detection of a face a track already took in this frame starts no track of its own.
            if (!detectionUsed[d] && !matched.Any(m => SameFace(m.Box, detections[d].Box)))
            {
                _tracks.Add(new Track(_ids.Next(), detections[d], timestamp, seenAt, _options.MinHits));
            }
        }

        // A tentative track left beside a confirmed one that holds the face (it missed its IoU match once) is a duplicate.
        var duplicates = _tracks.Where((track, t) => t < trackUsed.Length && !trackUsed[t] && !track.Confirmed
            && matched.Any(m => m.Confirmed && SameFace(m.Box, track.Box))).ToList();
        foreach (var duplicate in duplicates)
        {
            _tracks.Remove(duplicate);
        }

        return new TrackerUpdate([.. _tracks], [.. duplicates, .. Expire(timestamp)]);
    }

    /// <summary>
    /// Orders candidate matches confirmed tracks first (SORT's matching cascade): a tentative duplicate must not take an
    /// established face's detection. 0 when both tracks are alike.
    /// </summary>
    private int ConfirmedFirst(int a, int b) => _tracks[b].Confirmed.CompareTo(_tracks[a].Confirmed);

    /// <summary>Two boxes on one face: they overlap by half, or one's centre lies inside the other.</summary>
    private static bool SameFace(Rect2f a, Rect2f b) =>
        Iou(a, b) >= 0.5 || Contains(a, Centre(b)) || Contains(b, Centre(a));

    private static Point2f Centre(Rect2f r) => new(r.X + (r.Width / 2), r.Y + (r.Height / 2));

    private static bool Contains(Rect2f r, Point2f p) => p.X >= r.X && p.X <= r.X + r.Width && p.Y >= r.Y && p.Y <= r.Y + r.Height;

    /// <summary>
    /// Where each live track's face is expected in a frame taken at <paramref name="timestamp"/>, and how many frames
    /// in a row it was missed (the detection gate searches there). Moves no state.
    /// </summary>
    public IReadOnlyList<(Rect2f Box, int Missed)> Predicted(long timestamp) =>
        _tracks.Select(t => (t.Filter.Ahead(_time.GetElapsedTime(t.LastPredict, timestamp).TotalSeconds), t.Missed)).ToArray();

    /// <summary>Ends tracks not matched for <c>MaxMissSeconds</c> before <paramref name="timestamp"/> (also call it when no frames come).</summary>
    public IReadOnlyList<Track> Expire(long timestamp)
    {
        var maxMiss = TimeSpan.FromSeconds(_options.MaxMissSeconds);
        var ended = _tracks.Where(t => _time.GetElapsedTime(t.LastUpdate, timestamp) > maxMiss).ToList();
        foreach (var track in ended)
        {
            _tracks.Remove(track);
        }

        return ended;
    }

    /// <summary>Ends every track (camera removed or shutdown).</summary>
    public IReadOnlyList<Track> EndAll()
    {
        var ended = _tracks.ToList();
        _tracks.Clear();
        return ended;
    }

    /// <summary>
    /// Tracks whose boxes overlap another matched track's are crowded: association there is ambiguous. The frame a
    /// crowded track is alone again, its match is in doubt (people crossing may have swapped boxes).
    /// </summary>
    private static void MarkCrossings(List<Track> matched)
    {
        foreach (var track in matched)
        {
            var crowded = matched.Any(o => !ReferenceEquals(o, track) && Iou(o.Box, track.Box) > 0);
            if (track.Crowded && !crowded && track.Doubt == ContinuityDoubt.None)
            {
                track.Doubt = ContinuityDoubt.Crossing;
            }

            track.Crowded = crowded;
        }
    }

    private void Match(Track track, FaceDetection detection, long timestamp, DateTimeOffset seenAt, bool shotCut)
    {
        // Doubt is judged before the filter takes the detection in: against what motion predicted (Box) and the last face.
        track.Doubt = shotCut ? ContinuityDoubt.ShotCut
            : track.Missed > 0 ? ContinuityDoubt.Gap
            : Jumped(track.Box, track.LastDetection, detection) ? ContinuityDoubt.Jump
            : ContinuityDoubt.None;
        track.LastDetection = detection;
        track.Filter.Update(detection.Box);
        track.Box = track.Filter.Box;
        track.Detection = detection;
        track.Hits++;
        track.LastUpdate = timestamp;
        track.LastSeen = seenAt;
    }

    /// <summary>
    /// An abrupt change the constant-velocity model did not predict: the detected box is much larger or smaller, or its
    /// centre far from the prediction (relative to the face size), or the five landmarks sit differently in the box.
    /// </summary>
    private bool Jumped(Rect2f predicted, FaceDetection previous, FaceDetection detected)
    {
        var size = Math.Max(1, Math.Max(predicted.Width, predicted.Height));
        var ratio = Math.Max(detected.Box.Width, detected.Box.Height) / size;
        if (ratio > _options.JumpSizeRatio || ratio < 1 / _options.JumpSizeRatio)
        {
            return true;
        }

        var (from, to) = (Centre(predicted), Centre(detected.Box));
        var distance = Math.Sqrt(((from.X - to.X) * (from.X - to.X)) + ((from.Y - to.Y) * (from.Y - to.Y))) / size;
        if (distance > _options.JumpDistance)
        {
            return true;
        }

        return LandmarkShift(previous, detected) > _options.JumpLandmarks;
    }

    /// <summary>Mean distance between the five landmarks of two detections, each relative to its own box (0 = same layout).</summary>
    internal static double LandmarkShift(FaceDetection a, FaceDetection b)
    {
        if (a.Landmarks.Length != b.Landmarks.Length || a.Landmarks.Length == 0 || a.Box.Width <= 0 || b.Box.Width <= 0
            || a.Landmarks.All(p => p == default) || b.Landmarks.All(p => p == default))
        {
            return 0;
        }

        double sum = 0;
        for (var i = 0; i < a.Landmarks.Length; i++)
        {
            var ax = (a.Landmarks[i].X - a.Box.X) / a.Box.Width;
            var ay = (a.Landmarks[i].Y - a.Box.Y) / a.Box.Height;
            var bx = (b.Landmarks[i].X - b.Box.X) / b.Box.Width;
            var by = (b.Landmarks[i].Y - b.Box.Y) / b.Box.Height;
            sum += Math.Sqrt(((ax - bx) * (ax - bx)) + ((ay - by) * (ay - by)));
        }

        return sum / a.Landmarks.Length;
    }

    /// <summary>Centre distance relative to the face size when the boxes are close and of similar size, else null.</summary>
    private static double? Near(Rect2f predicted, Rect2f lastMatched, Rect2f detected)
    {
        var fromPrediction = Near(predicted, detected);
        var fromLast = Near(lastMatched, detected);
        return fromPrediction is null ? fromLast : fromLast is null ? fromPrediction : Math.Min(fromPrediction.Value, fromLast.Value);
    }

    private static double? Near(Rect2f predicted, Rect2f detected)
    {
        var size = Math.Max(Math.Max(predicted.Width, predicted.Height), Math.Max(detected.Width, detected.Height));
        var ratio = detected.Width / Math.Max(1, predicted.Width);
        if (size <= 0 || ratio < 0.6 || ratio > 1.6)
        {
            return null;
        }

        var (from, to) = (Centre(predicted), Centre(detected));
        var dx = from.X - to.X;
        var dy = from.Y - to.Y;
        var distance = Math.Sqrt((dx * dx) + (dy * dy)) / size;
        return distance <= 0.75 ? distance : null;
    }

    public static double Iou(Rect2f a, Rect2f b)
    {
        var x1 = Math.Max(a.X, b.X);
        var y1 = Math.Max(a.Y, b.Y);
        var x2 = Math.Min(a.X + a.Width, b.X + b.Width);
        var y2 = Math.Min(a.Y + a.Height, b.Y + b.Height);
        var inter = Math.Max(0, x2 - x1) * Math.Max(0, y2 - y1);
        var union = (a.Width * a.Height) + (b.Width * b.Height) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
