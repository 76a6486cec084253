using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Workers;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Commands.Scenarios;

/// <summary>How the decisions (<c>arrived</c>/<c>changed</c> events) of one visit came out, for an open-set count.</summary>
public enum VisitOutcome
{
    /// <summary>An event named the expected enrolled person (whatever else was said).</summary>
    NamedRight,

    /// <summary>An event gave the face a known name that is not its own (a stranger named as someone; an enrolled person as another), and none named it right.</summary>
    NamedOther,

    /// <summary>Every event said <c>unknown</c>, but the face carried a known name that is not its own otherwise (an overlay label, a <c>left</c> event: another visit went on on this face).</summary>
    CarriedOther,

    /// <summary>Every event said <c>unknown</c>.</summary>
    OnlyUnknown,

    /// <summary>No <c>arrived</c>/<c>changed</c> event fell on the face.</summary>
    NoEvent,
}

/// <summary>
/// One visit, open-set view: its outcome, the known names it was given other than its own (<paramref name="OtherNames"/>:
/// by an <c>arrived</c>/<c>changed</c> event; <paramref name="CarriedNames"/>: by an overlay label or a <c>left</c> event,
/// e.g. a visit that went on onto this face without an event), the seconds to its own name,
/// its decisions in words, and the single embeddings (the embedding worker's observations) made of its face: how many,
/// how many named it right, how many gave another known name.
/// </summary>
public sealed record OpenSetVisit(SegmentTruth Visit, VisitOutcome Outcome, IReadOnlyList<string> OtherNames, IReadOnlyList<string> CarriedNames, double? SecondsToName,
    IReadOnlyList<string> Decisions, int Observations, int ObservationsRight, int ObservationsOther)
{
    /// <summary>Each observation's similarity to its nearest enrolled person (the SVM's candidate): how close strangers come to the threshold.</summary>
    public IReadOnlyList<double> Similarities { get; init; } = [];

    /// <summary>Some event gave the face a known name that is not its own (also when another event named it right).</summary>
    public bool NamedOtherByEvent => OtherNames.Count > 0;

    /// <summary>The face was given a known name that is not its own in any way: an event, an overlay label, a <c>left</c>.</summary>
    public bool GotOtherName => OtherNames.Count > 0 || CarriedNames.Count > 0;
}

/// <summary>A video's open-set result: per visit, and the observations that fell on no visit's face.</summary>
public sealed record OpenSetScore(string Scenario, IReadOnlyList<OpenSetVisit> Visits, int UnmatchedObservations)
{
    public IEnumerable<OpenSetVisit> Enrolled => Visits.Where(v => v.Visit.Enrolled);

    public IEnumerable<OpenSetVisit> Strangers => Visits.Where(v => !v.Visit.Enrolled);

    public int EnrolledVisits => Enrolled.Count();

    public int NamedRight => Enrolled.Count(v => v.Outcome == VisitOutcome.NamedRight);

    public int EnrolledOnlyUnknown => Enrolled.Count(v => v.Outcome == VisitOutcome.OnlyUnknown);

    /// <summary>Enrolled visits given another enrolled person's name in any way (event, label, <c>left</c>; also when an event named them right).</summary>
    public int EnrolledNamedOther => Enrolled.Count(v => v.GotOtherName);

    public int EnrolledNamedOtherByEvent => Enrolled.Count(v => v.NamedOtherByEvent);

    public int EnrolledNoEvent => Enrolled.Count(v => v.Outcome == VisitOutcome.NoEvent);

    public int StrangerVisits => Strangers.Count();

    /// <summary>Stranger visits given a known name in any way (an event, or a visit carried on onto the face): the strangers accepted per visit.</summary>
    public int StrangersNamed => Strangers.Count(v => v.GotOtherName);

    /// <summary>Stranger visits an <c>arrived</c>/<c>changed</c> event gave a known name.</summary>
    public int StrangersNamedByEvent => Strangers.Count(v => v.NamedOtherByEvent);

    public int StrangersNoEvent => Strangers.Count(v => v.Outcome == VisitOutcome.NoEvent);

    public IEnumerable<double> SecondsToName => Enrolled.Select(v => v.SecondsToName).OfType<double>();

    public int EnrolledObservations => Enrolled.Sum(v => v.Observations);

    public int EnrolledObservationsRight => Enrolled.Sum(v => v.ObservationsRight);

    public int StrangerObservations => Strangers.Sum(v => v.Observations);

    public int StrangerObservationsNamed => Strangers.Sum(v => v.ObservationsOther);
}

/// <summary>
/// Scores a run per visit for open-set identification (issue 11): the visit's decisions come from
/// <see cref="ScenarioScorer"/> (events matched to faces by box), and each single embedding is matched to the face it
/// was made of through its frame (capture timestamp) and box (IoU &gt;= 0.5). Pure.
/// </summary>
public static class OpenSetScorer
{
    public static OpenSetScore Score(ScenarioTruth truth, IReadOnlyList<FrameRecord> frames, IReadOnlyList<IdentityEvent> events, IReadOnlyList<EmbeddingObservation> observations)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(observations);
        var visits = ScenarioScorer.Score(truth, frames, events).Visits;
        var frameOf = new Dictionary<long, int>();
        foreach (var f in frames.Where(f => f.CaptureTimestamp != 0))
        {
            frameOf.TryAdd(f.CaptureTimestamp, f.Frame);
        }

        var counts = truth.Segments.ToDictionary(s => s.Id, _ => (All: 0, Right: 0, Other: 0));
        var similarities = truth.Segments.ToDictionary(s => s.Id, _ => new List<double>());
        var unmatched = 0;
        foreach (var o in observations)
        {
            var segment = frameOf.TryGetValue(o.CaptureTimestamp, out var frame)
                ? truth.At(frame).Select(h => (h.Segment, Iou: Pipeline.Tracking.FaceTracker.Iou(o.Box, h.Box.Rect))).Where(h => h.Iou >= IdMetrics.IouThreshold).OrderByDescending(h => h.Iou).FirstOrDefault().Segment
                : null;
            if (segment is null)
            {
                unmatched++;
                continue;
            }

            similarities[segment.Id].Add(o.Match.Similarity);
            var c = counts[segment.Id];
            var named = o.Match.Known && o.Match.Name != IdentityMatch.Unknown;
            counts[segment.Id] = (c.All + 1, c.Right + (named && o.Match.Name == segment.Expected ? 1 : 0), c.Other + (named && o.Match.Name != segment.Expected ? 1 : 0));
        }

        return new OpenSetScore(truth.Name, [.. visits.Select(v => Visit(v, counts[v.Visit.Id]) with { Similarities = similarities[v.Visit.Id] })], unmatched);
    }

    private static OpenSetVisit Visit(VisitScore v, (int All, int Right, int Other) observed)
    {
        var expected = v.Visit.Expected;
        var others = v.DecisionEvents.Where(e => e.Name != IdentityMatch.Unknown && e.Name != expected).Select(e => e.Name).Distinct(StringComparer.Ordinal).ToArray();
        // The scorer's other names of the face are "HOW NAME" (label, left, arrived, changed; HOW has no space): those no arrived/changed gave.
        var carried = v.WrongNames.Select(w => w.Split(' ', 2)).Where(w => w.Length == 2 && w[0] is not (IdentityEventKind.Arrived or IdentityEventKind.Changed))
            .Select(w => w[1]).Where(name => !others.Contains(name)).Distinct(StringComparer.Ordinal).ToArray();
        var outcome = v.Visit.Enrolled && v.DecisionEvents.Any(e => e.Name == expected) ? VisitOutcome.NamedRight
            : others.Length > 0 ? VisitOutcome.NamedOther
            : carried.Length > 0 ? VisitOutcome.CarriedOther
            : v.DecisionEvents.Count == 0 ? VisitOutcome.NoEvent
            : VisitOutcome.OnlyUnknown;
        return new OpenSetVisit(v.Visit, outcome, others, carried, v.Visit.Enrolled ? v.SecondsToName : null, v.Decisions, observed.All, observed.Right, observed.Other);
    }
}
