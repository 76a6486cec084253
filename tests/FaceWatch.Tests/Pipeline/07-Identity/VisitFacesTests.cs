using FaceWatch.Core.Numerics;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Tracking;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;

namespace FaceWatch.Tests.Pipeline.Identity;

/// <summary>
/// With <see cref="VisitTracker.KeepFaces"/> a stranger's visit hands its best faces to the stranger store in its
/// <c>left</c>; a crop is encoded only when it beats the visit's kept faces; a known person's faces never leave.
/// </summary>
public sealed class VisitFacesTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero));
    private readonly float[] _face = VectorMath.Normalized([1, 0.1f, 0, 0]);

    [Fact]
    public void An_unknown_visit_leaves_with_its_best_faces_and_encodes_only_faces_that_beat_them()
    {
        var (events, encoded) = Visit(keep: 2, "unknown", known: false, qualities: [1, 5, 3, 4, 2]);

        var left = Assert.Single(events, e => e.Event == IdentityEventKind.Left);
        Assert.Equal("unknown", left.Name);
        Assert.NotNull(left.Faces);
        Assert.Equal(2, left.Faces.Count);
        var faces = left.Faces.Take();
        Assert.Equal([5.0, 4.0], faces.Select(f => f.Quality));
        Assert.Equal([5, 4], faces.Select(f => (int)f.Jpeg[0]));
        Assert.All(faces, f => Assert.Equal(_face, f.Embedding));
        // Handed over once: whoever else holds the event holds no crop.
        Assert.Empty(left.Faces.Take());
        Assert.Equal(0, left.Faces.Count);
        // 1 and 5 fill the two places, 3 beats 1, 4 beats 3, 2 beats nothing; plus the arrived event's crop.
        Assert.Equal(5, encoded);
    }

    [Fact]
    public void A_known_persons_visit_keeps_no_face()
    {
        var (events, _) = Visit(keep: 3, "alice", known: true, qualities: [1, 2, 3, 4, 5]);

        Assert.Contains(events, e => e.Event == IdentityEventKind.Arrived && e.Name == "alice");
        Assert.All(events, e => Assert.Null(e.Faces));
    }

    [Fact]
    public void Off_nothing_is_kept_or_encoded_beyond_the_arrived_crop()
    {
        var (events, encoded) = Visit(keep: 0, "unknown", known: false, qualities: [1, 5, 3, 4, 2]);

        Assert.Contains(events, e => e.Event == IdentityEventKind.Left);
        Assert.All(events, e => Assert.Null(e.Faces));
        Assert.Equal(1, encoded);
    }

    private (List<IdentityEvent> Events, int Encoded) Visit(int keep, string name, bool known, double[] qualities)
    {
        var ids = new TrackIdSource();
        var visits = new VisitTracker("door", new IdentityOptions { RejoinSeconds = 0 }, _time, ids) { KeepFaces = keep };
        var tracker = new FaceTracker(new TrackingOptions { MinHits = 1 }, _time, ids);
        var events = new List<IdentityEvent>();
        var encoded = 0;
        Track? track = null;
        foreach (var quality in qualities)
        {
            _time.Advance(TimeSpan.FromMilliseconds(200));
            track = tracker.Update([new FaceDetection(new Rect2f(200, 80, 60, 60), 0.99f, new Point2f[5])], _time.GetTimestamp(), _time.GetUtcNow(), false)
                .Active.Single(t => t.Detection is not null);
            visits.Seen(track, new Size(640, 480));
            var jpeg = (byte)quality;
            visits.Identified(
                track.Id, new IdentityObservation(name, known, 0.99, known ? 0.9 : 0.1, 1), _face, 0.3, _time.GetTimestamp(),
                () =>
                {
                    encoded++;
                    return [jpeg];
                },
                events, quality: quality);
        }

        visits.Ended(track!.Id, _time.GetTimestamp(), events);
        visits.Sweep(_time.GetTimestamp(), all: true, events);
        return (events, encoded);
    }
}
