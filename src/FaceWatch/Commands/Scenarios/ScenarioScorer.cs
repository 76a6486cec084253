using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Publishing;
using OpenCvSharp;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Commands.Scenarios;

/// <summary>
/// How one visit (ground-truth segment) came out. <see cref="Named"/>: an <c>arrived</c>/<c>changed</c> event on its face
/// with the expected name. <see cref="WrongNames"/>: names of other people given to its face, by an event or an overlay
/// label (the "inherited" names). <see cref="Arrivals"/>: <c>arrived</c> events on its face (one is right).
/// </summary>
/// <see cref="SecondsToName"/>: from the visit's start to the frame of the first event naming it right (null if none).
public sealed record VisitScore(SegmentTruth Visit, bool Named, IReadOnlyList<string> WrongNames, int Arrivals, IReadOnlyList<string> Decisions, double? SecondsToName = null)
{
    /// <summary>The <c>arrived</c>/<c>changed</c> events on the visit's face, in the order they came (what <see cref="Decisions"/> describes).</summary>
    public IReadOnlyList<IdentityEvent> DecisionEvents { get; init; } = [];

    public bool Inherited => WrongNames.Count > 0;

    public bool NoEvent => Decisions.Count == 0;
}

/// <summary>A scenario's result: per visit, the MOT identity measures, and events that fell on no visit.</summary>
/// <see cref="ReusedTracks"/>: visits whose face was matched (IoU &gt;= 0.5) to a track id first matched to an earlier visit.
public sealed record ScenarioScore(string Scenario, IReadOnlyList<VisitScore> Visits, IdMetricsResult Mot, int StrayEvents, int ProcessedFrames, double FaceSeconds, int ReusedTracks)
{
    public int Named => Visits.Count(v => v.Named);

    public int Inherited => Visits.Count(v => v.Inherited);

    public int NoEvent => Visits.Count(v => v.NoEvent);

    public int ExtraArrivals => Visits.Sum(v => Math.Max(0, v.Arrivals - 1));

    /// <summary>The slowest named visit's <see cref="VisitScore.SecondsToName"/> (0 when none was named).</summary>
    public double MaxSecondsToName => Visits.Select(v => v.SecondsToName ?? 0).DefaultIfEmpty(0).Max();
}

/// <summary>Scores a run (overlay frames and identity events) against a scenario's truth. Pure.</summary>
public static class ScenarioScorer
{
    // An event's box is the tracker's (smoothed) box at its last sighting: a looser match than the per-frame IoU 0.5.
    private const double EventIou = 0.3;

    public static ScenarioScore Score(ScenarioTruth truth, IReadOnlyList<FrameRecord> frames, IReadOnlyList<IdentityEvent> events)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(events);
        // The first time a frame was processed counts (a replayed stream starts again at frame 0).
        var processed = frames.Where(f => f.Frame >= 0 && f.Frame < truth.FrameCount).GroupBy(f => f.Frame).Select(g => g.First()).OrderBy(f => f.Frame).ToArray();
        var wrong = truth.Segments.ToDictionary(s => s.Id, _ => new SortedSet<string>(StringComparer.Ordinal));
        var mot = new List<IdFrame>();
        var firstVisitOfTrack = new Dictionary<long, long>();
        var reused = new HashSet<long>();
        foreach (var record in processed)
        {
            var here = truth.At(record.Frame).ToArray();
            var predicted = record.Tracks.Select(t => new IdBox(t.TrackId, t.Box)).ToArray();
            var all = here.Select(h => new IdBox(h.Segment.Id, h.Box.Rect)).ToArray();
            foreach (var (t, p) in IdMetrics.Match(all, predicted))
            {
                var label = record.Tracks.First(o => o.TrackId == p.Id).Name;
                var segment = truth.Segments[(int)t.Id];
                if (IsWrong(label, segment))
                {
                    wrong[segment.Id].Add($"label {label}");
                }
            }

            // Hidden or cut-off faces are "don't care": their boxes, and tracks on them, count neither way.
            var ignored = here.Where(h => h.Box.Ignore).Select(h => new IdBox(h.Segment.Id, h.Box.Rect)).ToArray();
            var onIgnored = IdMetrics.Match(ignored, predicted).Select(m => m.Predicted.Id).ToHashSet();
            var counted = new IdFrame(record.Frame,
                [.. here.Where(h => !h.Box.Ignore).Select(h => new IdBox(h.Segment.Id, h.Box.Rect))],
                [.. predicted.Where(p => !onIgnored.Contains(p.Id))]);
            mot.Add(counted);
            foreach (var (t, p) in IdMetrics.Match(counted.Truth, counted.Predicted))
            {
                if (!firstVisitOfTrack.TryAdd(p.Id, t.Id) && firstVisitOfTrack[p.Id] != t.Id)
                {
                    reused.Add(t.Id);
                }
            }
        }

        var decisions = truth.Segments.ToDictionary(s => s.Id, _ => new List<IdentityEvent>());
        var stray = 0;
        var byTime = processed.OrderBy(f => f.CapturedAt).ToArray();
        foreach (var e in events)
        {
            var segment = SegmentOf(truth, byTime, e);
            if (segment is null)
            {
                stray += e.Event == IdentityEventKind.Left ? 0 : 1;
                continue;
            }

            if (IsWrong(e.Name, segment))
            {
                wrong[segment.Id].Add($"{e.Event} {e.Name}");
            }

            if (e.Event != IdentityEventKind.Left)
            {
                decisions[segment.Id].Add(e);
            }
        }

        var visits = truth.Segments.Select(s => new VisitScore(
            s,
            decisions[s.Id].Any(e => e.Name == s.Expected),
            [.. wrong[s.Id]],
            decisions[s.Id].Count(e => e.Event == IdentityEventKind.Arrived),
            [.. decisions[s.Id].Select(e => $"{e.Event} #{e.TrackId} {e.Name}")],
            decisions[s.Id].FirstOrDefault(e => e.Name == s.Expected) is { } first ? SecondsToName(truth, byTime, first, s) : null)
        {
            DecisionEvents = decisions[s.Id],
        }).ToArray();
        return new ScenarioScore(truth.Name, visits, IdMetrics.Compute(mot), stray, processed.Length, truth.Segments.Sum(s => s.Seconds), reused.Count);
    }

    /// <summary>Video seconds from the visit's start to the frame of the event's last sighting (the face it decided on).</summary>
    private static double SecondsToName(ScenarioTruth truth, FrameRecord[] byTime, IdentityEvent e, SegmentTruth segment)
    {
        var index = Math.Max(0, Array.FindLastIndex(byTime, f => f.CapturedAt <= e.LastSeen.AddMilliseconds(1)));
        return Math.Max(0, Math.Round((byTime[index].Frame / truth.Fps) - segment.Start, 2));
    }

    /// <summary>A name of another person: for an enrolled visit any other enrolled name, for a stranger any enrolled name.</summary>
    private static bool IsWrong(string? name, SegmentTruth segment) =>
        name is not null && name != IdentityMatch.Unknown && name != segment.Expected;

    /// <summary>The visit whose face the event's box is on, in the frame of the event's last sighting (or one next to it).</summary>
    private static SegmentTruth? SegmentOf(ScenarioTruth truth, FrameRecord[] byTime, IdentityEvent e)
    {
        if (byTime.Length == 0)
        {
            return null;
        }

        var index = Array.FindLastIndex(byTime, f => f.CapturedAt <= e.LastSeen.AddMilliseconds(1));
        index = Math.Max(0, index);
        var box = new Rect2f(e.Box.X, e.Box.Y, e.Box.W, e.Box.H);
        foreach (var offset in new[] { 0, -1, 1, -2 })
        {
            var i = index + offset;
            if (i < 0 || i >= byTime.Length)
            {
                continue;
            }

            var best = truth.At(byTime[i].Frame)
                .Select(h => (h.Segment, Iou: Pipeline.Tracking.FaceTracker.Iou(box, h.Box.Rect)))
                .Where(h => h.Iou >= EventIou)
                .OrderByDescending(h => h.Iou)
                .FirstOrDefault();
            if (best.Segment is not null)
            {
                return best.Segment;
            }
        }

        return null;
    }
}
