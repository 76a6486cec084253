using FaceWatch.Commands.Scenarios;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Workers;
using OpenCvSharp;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Tests.Commands;

/// <summary>The per-visit open-set count of <see cref="OpenSetScorer"/> on a hand-made run (no models, no video).</summary>
public sealed class OpenSetScorerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    // Frames 0-9 at 10 fps: ann (enrolled) at the left, a stranger at the right, both on screen the whole time.
    private static readonly Rect2f Left = new(100, 100, 50, 60);
    private static readonly Rect2f Right = new(600, 100, 50, 60);

    [Fact]
    public void Names_by_event_names_carried_without_an_event_and_single_embeddings_are_counted_per_visit()
    {
        var truth = Truth();
        var frames = Enumerable.Range(0, 10).Select(f => new FrameRecord(f, f + 1, T0.AddSeconds(f / 10.0),
            [new TrackOverlay(1, Left, null, f < 3 ? null : "ann", f >= 3, 0.9), new TrackOverlay(2, Right, null, f < 5 ? null : "ann", f >= 5, 0.9)], 1000 + f)).ToArray();
        IdentityEvent[] events = [Event("arrived", 1, "ann", Left, frame: 3)];
        EmbeddingObservation[] observations =
        [
            Observe(1, Left, 1, "ann"), Observe(1, Left, 2, "ann"), Observe(1, Left, 4, IdentityMatch.Unknown),
            Observe(2, Right, 1, IdentityMatch.Unknown), Observe(2, Right, 4, "ann"),
            Observe(3, new Rect2f(900, 400, 40, 40), 4, "ann"), // on no face of the truth
        ];

        var score = OpenSetScorer.Score(truth, frames, events, observations);

        var ann = score.Visits[0];
        Assert.Equal(VisitOutcome.NamedRight, ann.Outcome);
        Assert.False(ann.GotOtherName);
        Assert.Equal(0.3, ann.SecondsToName!.Value, 3);
        Assert.Equal((3, 2, 0), (ann.Observations, ann.ObservationsRight, ann.ObservationsOther));

        // No event on the stranger's face, but the overlay labels it "ann" (as when another visit goes on onto it): named.
        var stranger = score.Visits[1];
        Assert.Equal(VisitOutcome.CarriedOther, stranger.Outcome);
        Assert.True(stranger.GotOtherName);
        Assert.False(stranger.NamedOtherByEvent);
        Assert.Equal(["ann"], stranger.CarriedNames);
        Assert.Equal((2, 0, 1), (stranger.Observations, stranger.ObservationsRight, stranger.ObservationsOther));

        Assert.Equal((1, 1, 0), (score.NamedRight, score.StrangersNamed, score.StrangersNamedByEvent));
        Assert.Equal(1, score.UnmatchedObservations);
    }

    [Fact]
    public void A_visit_whose_events_all_say_unknown_is_only_unknown_and_one_without_events_is_no_event()
    {
        var truth = Truth();
        var frames = Enumerable.Range(0, 10).Select(f => new FrameRecord(f, f + 1, T0.AddSeconds(f / 10.0),
            [new TrackOverlay(1, Left, null, f < 3 ? null : IdentityMatch.Unknown, false, 0.5), new TrackOverlay(2, Right, null, null, false, 0)], 1000 + f)).ToArray();
        IdentityEvent[] events = [Event("arrived", 1, IdentityMatch.Unknown, Left, frame: 3)];

        var score = OpenSetScorer.Score(truth, frames, events, []);

        Assert.Equal(VisitOutcome.OnlyUnknown, score.Visits[0].Outcome);
        Assert.Null(score.Visits[0].SecondsToName);
        Assert.Equal(VisitOutcome.NoEvent, score.Visits[1].Outcome);
        Assert.Equal((0, 1, 0, 0), (score.NamedRight, score.EnrolledOnlyUnknown, score.EnrolledNamedOther, score.StrangersNamed));
    }

    private static ScenarioTruth Truth()
    {
        SegmentTruth Segment(int id, string person, bool enrolled, Rect2f box) => new()
        {
            Id = id, Person = person, Enrolled = enrolled, Expected = enrolled ? person : IdentityMatch.Unknown, Photo = "",
            Start = 0, End = 1, FirstFrame = 0, LastFrame = 9,
            Boxes = [.. Enumerable.Range(0, 10).Select(f => new BoxTruth(f, (int)box.X, (int)box.Y, (int)box.Width, (int)box.Height, false))],
        };
        return new ScenarioTruth
        {
            Name = "hand-made", Description = "", Video = "none.mp4", Width = 1280, Height = 720, Fps = 10, FrameCount = 10, Cuts = [],
            Segments = [Segment(0, "ann", true, Left), Segment(1, "stranger", false, Right)],
        };
    }

    private static EmbeddingObservation Observe(long track, Rect2f box, int frame, string name) =>
        new("cam", track, box, 1000 + frame, new IdentityMatch(name, name != IdentityMatch.Unknown, 0.9, 0.6, "ann"));

    private static IdentityEvent Event(string kind, long track, string name, Rect2f box, int frame) => new()
    {
        EventId = Guid.NewGuid().ToString("N"), Event = kind, Camera = "cam", TrackId = track, Name = name, Known = name != IdentityMatch.Unknown,
        Confidence = 0.9, Box = new EventBox((int)box.X, (int)box.Y, (int)box.Width, (int)box.Height), FrameWidth = 1280, FrameHeight = 720,
        Timestamp = T0.AddSeconds(frame / 10.0), FirstSeen = T0, LastSeen = T0.AddSeconds(frame / 10.0), LatencyMs = 1,
    };
}
