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
        LastMatched = detection.Box;
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

    /// <summary>The box of the last matched detection: a second reference when the prediction drifted while coasting.</summary>
    internal Rect2f LastMatched { get; set; }

    internal BoxKalmanFilter Filter { get; }
}

/// <summary>What one tracker update did.</summary>
public sealed record TrackerUpdate(IReadOnlyList<Track> Active, IReadOnlyList<Track> Ended);

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
    private long _nextId;

    public FaceTracker(TrackingOptions options, TimeProvider time, long firstId = 1)
    {
        _options = options;
        _time = time;
        _nextId = firstId;
    }

    public IReadOnlyList<Track> Tracks => _tracks;

    /// <summary>Feeds the detections of one frame taken at <paramref name="timestamp"/> / <paramref name="seenAt"/>.</summary>
    public TrackerUpdate Update(IReadOnlyList<FaceDetection> detections, long timestamp, DateTimeOffset seenAt)
    {
        ArgumentNullException.ThrowIfNull(detections);
        // Until a track is matched below, its Box is its prediction for this frame (the matching reads it there).
        foreach (var track in _tracks)
        {
            track.Box = track.Filter.Predict(_time.GetElapsedTime(track.LastPredict, timestamp).TotalSeconds);
            track.LastPredict = timestamp;
            track.Detection = null;
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
            Match(_tracks[t], detections[d], timestamp, seenAt);
        }

        // Second chance for fast movers (low detection rates): near centres and similar sizes, when overlap failed.
        var near = new List<(double Distance, int Track, int Detection)>();
        for (var t = 0; t < _tracks.Count; t++)
        {
            for (var d = 0; d < detections.Count; d++)
            {
                if (!trackUsed[t] && !detectionUsed[d] && Near(_tracks[t].Box, _tracks[t].LastMatched, detections[d].Box) is { } distance)
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
                Match(_tracks[t], detections[d], timestamp, seenAt);
            }
        }

        var matched = _tracks.Where((_, t) => trackUsed[t]).ToList();
        for (var d = 0; d < detections.Count; d++)
        {
            // A second detection of a face a track already took in this frame starts no track of its own.
            if (!detectionUsed[d] && !matched.Any(m => SameFace(m.Box, detections[d].Box)))
            {
                _tracks.Add(new Track(_nextId++, detections[d], timestamp, seenAt, _options.MinHits));
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

    private void Match(Track track, FaceDetection detection, long timestamp, DateTimeOffset seenAt)
    {
        track.Filter.Update(detection.Box);
        track.Box = track.Filter.Box;
        track.Detection = detection;
        track.LastMatched = detection.Box;
        track.Hits++;
        track.LastUpdate = timestamp;
        track.LastSeen = seenAt;
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
