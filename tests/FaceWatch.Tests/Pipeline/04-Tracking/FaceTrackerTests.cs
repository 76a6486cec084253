using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Tracking;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;

namespace FaceWatch.Tests.Pipeline.Tracking;

public class FaceTrackerTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly TrackingOptions _options = new() { MinHits = 3, MaxMissSeconds = 1.0, IouThreshold = 0.25 };

    private static FaceDetection Face(float x, float y, float size = 80) => new(new Rect2f(x, y, size, size), 0.99f, new Point2f[5]);

    private TrackerUpdate Step(FaceTracker tracker, params FaceDetection[] faces)
    {
        _time.Advance(TimeSpan.FromMilliseconds(100));
        return tracker.Update(faces, _time.GetTimestamp(), _time.GetUtcNow());
    }

    [Fact]
    public void A_moving_face_keeps_one_id_and_is_confirmed_after_min_hits()
    {
        var tracker = new FaceTracker(_options, _time);
        var ids = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            var update = Step(tracker, Face(100 + (i * 12), 100 + (i * 3)));
            var track = Assert.Single(update.Active);
            ids.Add(track.Id);
            Assert.Equal(i >= 2, track.Confirmed);
        }

        Assert.Single(ids.Distinct());
    }

    [Fact]
    public void Prediction_bridges_misses_and_the_track_ends_after_max_miss()
    {
        var tracker = new FaceTracker(_options, _time);
        long id = 0;
        for (var i = 0; i < 10; i++)
        {
            id = Assert.Single(Step(tracker, Face(100 + (i * 20), 100)).Active).Id;
        }

        // Missed for 0.5 s while still moving: the Kalman prediction keeps up, the same track picks the face up again.
        for (var i = 0; i < 5; i++)
        {
            Assert.Empty(Step(tracker).Ended);
        }

        var again = Assert.Single(Step(tracker, Face(100 + (15 * 20), 100)).Active);
        Assert.Equal(id, again.Id);

        // Then gone: ended once more than MaxMissSeconds has passed.
        var ended = new List<Track>();
        for (var i = 0; i < 12; i++)
        {
            ended.AddRange(Step(tracker).Ended);
        }

        Assert.Equal(id, Assert.Single(ended).Id);
        Assert.Empty(tracker.Tracks);
    }

    [Fact]
    public void Two_faces_get_two_tracks_and_keep_them_when_they_pass_each_other_vertically_apart()
    {
        var tracker = new FaceTracker(_options, _time);
        TrackerUpdate update = null!;
        for (var i = 0; i < 10; i++)
        {
            update = Step(tracker, Face(100 + (i * 10), 100), Face(500 - (i * 10), 300));
        }

        Assert.Equal(2, update.Active.Count);
        var top = update.Active.Single(t => t.Box.Y < 200);
        var bottom = update.Active.Single(t => t.Box.Y > 200);
        Assert.NotEqual(top.Id, bottom.Id);
        Assert.InRange(top.Box.X, 180, 200);
        Assert.InRange(bottom.Box.X, 400, 420);
    }

    [Fact]
    public void A_detection_far_from_every_track_starts_a_tentative_track()
    {
        var tracker = new FaceTracker(_options, _time);
        Step(tracker, Face(100, 100));
        var update = Step(tracker, Face(100, 100), Face(600, 100));
        Assert.Equal(2, update.Active.Count);
        Assert.All(update.Active, t => Assert.False(t.Confirmed));
    }

    [Fact]
    public void Iou_of_identical_boxes_is_one_and_of_disjoint_boxes_zero()
    {
        Assert.Equal(1.0, FaceTracker.Iou(new Rect2f(0, 0, 10, 10), new Rect2f(0, 0, 10, 10)), 6);
        Assert.Equal(0.0, FaceTracker.Iou(new Rect2f(0, 0, 10, 10), new Rect2f(20, 20, 10, 10)), 6);
        Assert.Equal(1.0 / 3, FaceTracker.Iou(new Rect2f(0, 0, 10, 10), new Rect2f(5, 0, 10, 10)), 6);
    }

    [Fact]
    public void A_second_detection_on_a_tracked_face_starts_no_track()
    {
        var tracker = new FaceTracker(_options, _time);
        var id = 0L;
        for (var i = 0; i < 3; i++)
        {
            id = Assert.Single(Step(tracker, Face(100, 100)).Active).Id;
        }

        // The detector reports the face twice (a smaller box inside it): still one track, drawn once.
        var update = Step(tracker, Face(100, 100), Face(112, 110, 60));
        Assert.Equal(id, Assert.Single(update.Active).Id);
    }

    [Fact]
    public void A_tentative_track_beside_a_confirmed_one_on_the_same_face_is_dropped()
    {
        var tracker = new FaceTracker(_options, _time);
        var id = 0L;
        for (var i = 0; i < 3; i++)
        {
            id = Assert.Single(Step(tracker, Face(100, 100)).Active).Id;
        }

        // One odd detection (much larger box) matches neither by overlap nor by centre: a tentative track starts.
        var odd = Step(tracker, Face(60, 60, 200));
        var duplicate = Assert.Single(odd.Active, t => t.Id != id);
        Assert.False(duplicate.Confirmed);

        // The face is back where the confirmed track is: it keeps it, and the tentative duplicate goes.
        var update = Step(tracker, Face(100, 100));
        var track = Assert.Single(update.Active);
        Assert.Equal(id, track.Id);
        Assert.NotNull(track.Detection);
        Assert.Contains(update.Ended, t => t.Id == duplicate.Id);
    }

    private static FaceDetection FaceWithLandmarks(float x, float y, float eyeY, float size = 80)
    {
        Point2f P(float fx, float fy) => new(x + (fx * size), y + (fy * size));
        return new(new Rect2f(x, y, size, size), 0.99f, [P(0.3f, eyeY), P(0.7f, eyeY), P(0.5f, 0.55f), P(0.35f, 0.75f), P(0.65f, 0.75f)]);
    }

    [Fact]
    public void A_steady_face_is_never_in_doubt()
    {
        var tracker = new FaceTracker(_options, _time);
        for (var i = 0; i < 30; i++)
        {
            var track = Assert.Single(Step(tracker, FaceWithLandmarks(100 + (i * 4), 100, 0.35f + (0.01f * (i % 3)))).Active);
            Assert.Equal(ContinuityDoubt.None, track.Doubt);
        }
    }

    [Fact]
    public void A_face_found_again_after_a_missed_frame_is_in_doubt_for_one_frame()
    {
        var tracker = new FaceTracker(_options, _time);
        Step(tracker, Face(100, 100));
        Step(tracker, Face(100, 100));
        Step(tracker);
        Assert.Equal(ContinuityDoubt.Gap, Assert.Single(Step(tracker, Face(100, 100)).Active).Doubt);
        Assert.Equal(ContinuityDoubt.None, Assert.Single(Step(tracker, Face(100, 100)).Active).Doubt);
    }

    [Fact]
    public void A_shot_cut_puts_every_match_in_doubt()
    {
        var tracker = new FaceTracker(_options, _time);
        Step(tracker, Face(100, 100), Face(400, 100));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var update = tracker.Update([Face(100, 100), Face(400, 100)], _time.GetTimestamp(), _time.GetUtcNow(), shotCut: true);
        Assert.All(update.Active, t => Assert.Equal(ContinuityDoubt.ShotCut, t.Doubt));
    }

    [Fact]
    public void A_box_that_grows_abruptly_or_landmarks_that_move_within_it_are_a_jump()
    {
        var tracker = new FaceTracker(_options, _time);
        Step(tracker, FaceWithLandmarks(100, 100, 0.35f));
        Step(tracker, FaceWithLandmarks(100, 100, 0.35f));
        // Another face at the same spot, a head taller: its box still overlaps enough to match.
        Assert.Equal(ContinuityDoubt.Jump, Assert.Single(Step(tracker, FaceWithLandmarks(95, 95, 0.35f, size: 120)).Active).Doubt);

        var other = new FaceTracker(_options, _time);
        Step(other, FaceWithLandmarks(300, 100, 0.35f));
        Step(other, FaceWithLandmarks(300, 100, 0.35f));
        Assert.Equal(ContinuityDoubt.Jump, Assert.Single(Step(other, FaceWithLandmarks(300, 100, 0.8f)).Active).Doubt);
    }

    [Fact]
    public void Tracks_whose_boxes_overlapped_are_in_doubt_when_they_separate()
    {
        // Two faces walking past each other at 40 px per frame: they overlap while |dx| < 80.
        var tracker = new FaceTracker(_options, _time);
        var doubts = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var update = Step(tracker, Face(100 + (40 * i), 100), Face(300 - (40 * i), 100));
            Assert.Equal(2, update.Active.Count);
            doubts.Add(string.Join(",", update.Active.Select(t => t.Doubt)));
        }

        // Apart until frame 2, overlapping in frames 2-3 (dx 40), apart again from frame 4 (dx 120): in doubt exactly then.
        Assert.Equal(["None,None", "None,None", "None,None", "None,None", "Crossing,Crossing", "None,None"], doubts);
    }
}
