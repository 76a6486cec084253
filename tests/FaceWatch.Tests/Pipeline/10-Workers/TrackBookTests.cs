using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Tracking;
using FaceWatch.Pipeline.Workers;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;

namespace FaceWatch.Tests.Pipeline.Workers;

/// <summary>
/// Visits of one camera's tracks through the book (the visit tracker behind its lock): one arrived and one left per
/// visit, also across a cut; a track never lends its name to another face. Embeddings are unit vectors: one per person.
/// </summary>
public class TrackBookTests
{
    private const double SameFace = 0.4;
    private static readonly float[] Ada = [1, 0, 0, 0];
    private static readonly float[] Bob = [0, 1, 0, 0];
    private static readonly float[] AdaTurned = Normalised([0.8f, 0.2f, 0.3f, 0]);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly IdentityOptions _options = new() { RejoinSeconds = 4 };
    private readonly IdentityEventHub _hub = new();

    private static float[] Normalised(float[] v)
    {
        var n = (float)Math.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / n)];
    }

    private static IdentityObservation Obs(string name, double p = 0.95) =>
        name == "unknown" ? new("unknown", false, 0.3, 0.2, 1) : new(name, true, p, 0.8, 1);

    private (TrackBook Book, FaceTracker Tracker, EventOutbox Outbox) Make()
    {
        var outbox = new EventOutbox(_hub, NullLogger.Instance);
        var ids = new TrackIdSource();
        return (new TrackBook("cam", _options, outbox, _time, ids), new FaceTracker(new TrackingOptions { MinHits = 1 }, _time, ids), outbox);
    }

    private Track See(TrackBook book, FaceTracker tracker, float x, bool cut = false, float size = 80)
    {
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var track = tracker.Update([new FaceDetection(new Rect2f(x, 50, size, size), 0.99f, new Point2f[5])], _time.GetTimestamp(), _time.GetUtcNow(), cut)
            .Active.Single(t => t.Detection is not null);
        book.Seen(track, new Size(640, 360));
        return track;
    }

    private void Identify(TrackBook book, Track track, string name, float[] face) =>
        book.Identified(track.Id, Obs(name), face, SameFace, _time.GetTimestamp());

    /// <summary>Ends every track and lingering visit, then returns every event in order.</summary>
    private async Task<List<IdentityEvent>> DrainAsync(EventOutbox outbox, ChannelReaderHolder reader, TrackBook book, FaceTracker tracker)
    {
        foreach (var track in tracker.EndAll())
        {
            book.Ended(track.Id, _time.GetTimestamp());
        }

        book.Sweep(_time.GetTimestamp(), all: true);
        outbox.Complete();
        await outbox.RunAsync(CancellationToken.None);
        var events = new List<IdentityEvent>();
        while (reader.Reader.TryRead(out var e))
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public async Task A_known_person_back_after_a_cut_continues_the_same_visit()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var first = See(book, tracker, 100);
        Identify(book, first, "ada", Ada);
        book.Ended(first.Id, _time.GetTimestamp());

        _time.Advance(TimeSpan.FromSeconds(2)); // a cut, then the same person elsewhere in the frame
        var second = See(book, tracker, 400);
        Assert.NotEqual(first.Id, second.Id);
        Identify(book, second, "ada", AdaTurned);
        Assert.Equal(first.Id, book.ViewOf(second.Id)?.VisitId);
        book.Ended(second.Id, _time.GetTimestamp());
        book.Sweep(_time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(5));
        book.Sweep(_time.GetTimestamp());

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.Equal([IdentityEventKind.Arrived, IdentityEventKind.Left], events.Select(e => e.Event));
        Assert.All(events, e => Assert.Equal(first.Id, e.TrackId));
        Assert.Equal(2, events[1].Observations);
        Assert.True(events[1].DurationSeconds >= 2);
    }

    [Fact]
    public async Task A_look_alike_named_the_same_within_the_rejoin_window_is_a_new_visit_when_the_face_differs()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var first = See(book, tracker, 100);
        Identify(book, first, "ada", Ada);
        book.Ended(first.Id, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(1));
        var second = See(book, tracker, 400);
        Identify(book, second, "ada", Bob); // the gallery says ada, the face is not the one that just left

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.Equal([first.Id, second.Id], Ids(events, IdentityEventKind.Arrived));
        Assert.Equal([first.Id, second.Id], Ids(events, IdentityEventKind.Left).Order());
    }

    private static IEnumerable<long> Ids(IEnumerable<IdentityEvent> events, string kind) => events.Where(e => e.Event == kind).Select(e => e.TrackId);

    [Fact]
    public async Task After_the_rejoin_window_a_new_visit_starts()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var first = See(book, tracker, 100);
        Identify(book, first, "ada", Ada);
        book.Ended(first.Id, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(5));
        book.Sweep(_time.GetTimestamp());
        var second = See(book, tracker, 400);
        Identify(book, second, "ada", Ada);
        book.Ended(second.Id, _time.GetTimestamp());

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.Equal(
            [(IdentityEventKind.Arrived, first.Id), (IdentityEventKind.Left, first.Id), (IdentityEventKind.Arrived, second.Id), (IdentityEventKind.Left, second.Id)],
            events.Select(e => (e.Event, e.TrackId)));
        Assert.All(events, e => Assert.Equal((640, 360, "cam", "ada", true), (e.FrameWidth, e.FrameHeight, e.Camera, e.Name, e.Known)));
    }

    [Fact]
    public async Task A_shot_cut_withholds_the_name_until_the_face_is_checked_and_another_face_splits_the_track()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var track = See(book, tracker, 100);
        Identify(book, track, "ada", Ada);
        var before = See(book, tracker, 102);
        Identify(book, before, "ada", Ada);
        Assert.Equal("ada", book.ViewOf(track.Id)?.Decision?.Name);

        var after = See(book, tracker, 104, cut: true); // same place, another shot: motion alone says "same track"
        Assert.Equal(track.Id, after.Id);
        Assert.Null(book.ViewOf(track.Id)?.Decision); // no name drawn while in doubt
        Assert.True(book.MayEmbed(track.Id, _time.GetTimestamp()));
        Assert.True(book.ShouldEmbed(track.Id, 80, 100, _time.GetTimestamp()));
        Identify(book, after, "unknown", Bob);
        var view = book.ViewOf(track.Id);
        Assert.NotEqual(track.Id, view?.VisitId);
        for (var i = 0; i < _options.MinUnknownObservations; i++)
        {
            Identify(book, See(book, tracker, 104), "unknown", Bob);
        }

        var events = await DrainAsync(outbox, reader, book, tracker);
        var arrivals = events.Where(e => e.Event == IdentityEventKind.Arrived).ToList();
        Assert.Equal([(track.Id, "ada"), (view!.Value.VisitId, "unknown")], arrivals.Select(e => (e.TrackId, e.Name)));
        Assert.Null(arrivals[0].Reason);
        Assert.Equal("shot-cut", arrivals[1].Reason);
        Assert.Equal([track.Id, view.Value.VisitId], Ids(events, IdentityEventKind.Left).Order());
        var left = events.Single(e => e.Event == IdentityEventKind.Left && e.TrackId == track.Id);
        Assert.Equal(102, left.Box.X); // the last box that was still ada
        Assert.Equal(2, left.Observations);
    }

    [Fact]
    public void A_face_captured_before_the_cut_does_not_settle_the_cuts_doubt()
    {
        var (book, tracker, _) = Make();
        var track = See(book, tracker, 100);
        Identify(book, track, "ada", Ada);
        See(book, tracker, 100);
        var beforeCut = _time.GetTimestamp(); // this face is still in the embedder's queue when the cut comes
        See(book, tracker, 100, cut: true);
        book.Identified(track.Id, Obs("ada"), Ada, SameFace, beforeCut);
        Assert.Null(book.ViewOf(track.Id)?.Decision); // still in doubt: no name drawn on the face after the cut

        Identify(book, track, "unknown", Bob); // the first face from the new shot is someone else
        Assert.NotEqual(track.Id, book.ViewOf(track.Id)?.VisitId);
    }

    [Fact]
    public async Task A_doubt_the_same_face_answers_keeps_the_visit()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var track = See(book, tracker, 100);
        Identify(book, track, "ada", Ada);
        See(book, tracker, 100, cut: true);
        Assert.Null(book.ViewOf(track.Id)?.Decision);
        Identify(book, track, "ada", AdaTurned);
        Assert.Equal(("ada", track.Id), (book.ViewOf(track.Id)?.Decision?.Name, book.ViewOf(track.Id)?.VisitId));

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.Equal([IdentityEventKind.Arrived, IdentityEventKind.Left], events.Select(e => e.Event));
    }

    [Fact]
    public async Task Without_a_doubt_a_new_face_splits_the_track_at_the_second_mismatch()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var track = See(book, tracker, 100);
        Identify(book, track, "ada", Ada);
        See(book, tracker, 100);
        Identify(book, track, "bob", Bob); // a verification that does not match: the name is withheld, not yet split
        Assert.Equal((track.Id, null), (book.ViewOf(track.Id)?.VisitId, book.ViewOf(track.Id)?.Decision));
        Assert.True(book.ShouldEmbed(track.Id, 80, 100, _time.GetTimestamp() + _time.TimestampFrequency));
        See(book, tracker, 100);
        Identify(book, track, "bob", Bob);
        Assert.Equal("bob", book.ViewOf(track.Id)?.Decision?.Name);

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.Equal(["arrived ada", "arrived bob"], events.Take(2).Select(e => $"{e.Event} {e.Name}"));
        Assert.Equal(["left ada", "left bob"], events.Skip(2).Select(e => $"{e.Event} {e.Name}").Order());
        Assert.Equal(VisitTracker.AppearanceChange, events[1].Reason);
    }

    [Fact]
    public async Task A_lookalike_the_gallery_names_as_someone_else_twice_is_a_new_visit_not_a_change()
    {
        // The face is close enough to the template (a lookalike), but the gallery says another enrolled person.
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var track = See(book, tracker, 100);
        Identify(book, track, "ada", Ada);
        See(book, tracker, 100);
        Identify(book, track, "bob", AdaTurned);
        Assert.Equal((track.Id, null), (book.ViewOf(track.Id)?.VisitId, book.ViewOf(track.Id)?.Decision));
        See(book, tracker, 100);
        Identify(book, track, "bob", AdaTurned);
        Assert.NotEqual(track.Id, book.ViewOf(track.Id)?.VisitId); // split, and not rejoined to the visit it left
        Assert.Equal("bob", book.ViewOf(track.Id)?.Decision?.Name);

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.DoesNotContain(events, e => e.Event == IdentityEventKind.Changed);
        Assert.Equal(["ada", "bob"], events.Where(e => e.Event == IdentityEventKind.Arrived).Select(e => e.Name));
    }

    [Fact]
    public async Task One_answer_naming_someone_else_is_not_enough_to_split()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var track = See(book, tracker, 100);
        Identify(book, track, "ada", Ada);
        See(book, tracker, 100);
        Identify(book, track, "bob", AdaTurned); // a poor view of ada
        See(book, tracker, 100);
        Identify(book, track, "ada", Ada);
        Assert.Equal(("ada", track.Id), (book.ViewOf(track.Id)?.Decision?.Name, book.ViewOf(track.Id)?.VisitId));

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.Equal(["arrived ada", "left ada"], events.Select(e => $"{e.Event} {e.Name}"));
    }

    [Fact]
    public async Task A_face_that_was_hidden_and_comes_back_on_a_new_track_while_its_old_one_coasts_continues_its_visit()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var old = See(book, tracker, 100);
        Identify(book, old, "ada", Ada);

        // Hidden behind someone: the old track coasts (seen, not detected), and the face comes back far from its prediction.
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var update = tracker.Update([new FaceDetection(new Rect2f(400, 50, 80, 80), 0.99f, new Point2f[5])], _time.GetTimestamp(), _time.GetUtcNow());
        foreach (var t in update.Active)
        {
            book.Seen(t, new Size(640, 360));
        }

        var back = update.Active.Single(t => t.Detection is not null);
        Assert.NotEqual(old.Id, back.Id);
        Identify(book, back, "ada", AdaTurned);
        Assert.Equal(("ada", old.Id), (book.ViewOf(back.Id)?.Decision?.Name, book.ViewOf(back.Id)?.VisitId));

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.Equal([(IdentityEventKind.Arrived, old.Id), (IdentityEventKind.Left, old.Id)], events.Select(e => (e.Event, e.TrackId)));
    }

    [Fact]
    public async Task Two_faces_seen_at_once_never_merge_even_when_they_look_alike()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var update = tracker.Update(
            [new FaceDetection(new Rect2f(100, 50, 80, 80), 0.99f, new Point2f[5]), new FaceDetection(new Rect2f(400, 50, 80, 80), 0.99f, new Point2f[5])],
            _time.GetTimestamp(), _time.GetUtcNow());
        foreach (var t in update.Active)
        {
            book.Seen(t, new Size(640, 360));
        }

        Identify(book, update.Active[0], "ada", Ada);
        Identify(book, update.Active[1], "ada", AdaTurned); // twins, both in view
        Assert.NotEqual(book.ViewOf(update.Active[0].Id)?.VisitId, book.ViewOf(update.Active[1].Id)?.VisitId);

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.Equal(2, events.Count(e => e.Event == IdentityEventKind.Arrived));
    }

    [Fact]
    public async Task Two_people_who_crossed_and_swapped_boxes_keep_their_own_visits()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var tracks = new List<Track>();
        foreach (var (x, name, face) in new[] { (100f, "ada", Ada), (400f, "bob", Bob) })
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            var t = tracker.Update([new FaceDetection(new Rect2f(x, 50, 80, 80), 0.99f, new Point2f[5])], _time.GetTimestamp(), _time.GetUtcNow()).Active.Single(a => a.Detection is not null && a.Box.X > x - 50 && a.Box.X < x + 50);
            book.Seen(t, new Size(640, 360));
            Identify(book, t, name, face);
            tracks.Add(t);
        }

        // The tracker matched them crossed (ada's track now holds bob's face and the other way round), both in doubt.
        var (adaTrack, bobTrack) = (tracks[0], tracks[1]);
        adaTrack.Doubt = ContinuityDoubt.Crossing;
        bobTrack.Doubt = ContinuityDoubt.Crossing;
        book.Seen(adaTrack, new Size(640, 360));
        book.Seen(bobTrack, new Size(640, 360));
        Identify(book, adaTrack, "bob", Bob);
        Identify(book, bobTrack, "ada", Ada);
        Assert.Equal(("bob", bobTrack.Id), (book.ViewOf(adaTrack.Id)?.Decision?.Name, book.ViewOf(adaTrack.Id)?.VisitId));
        Assert.Equal(("ada", adaTrack.Id), (book.ViewOf(bobTrack.Id)?.Decision?.Name, book.ViewOf(bobTrack.Id)?.VisitId));

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.Equal(2, events.Count(e => e.Event == IdentityEventKind.Arrived));
        Assert.Equal(1, book.Counters.Swaps);
    }

    [Fact]
    public async Task Only_the_arrived_event_carries_the_face_jpeg_and_only_arrived_encodes_it()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var track = See(book, tracker, 100);
        using var face = new Mat(112, 112, MatType.CV_8UC3, Scalar.All(128));
        var encoded = 0;
        byte[] Jpeg()
        {
            encoded++;
            return face.ImEncode(".jpg");
        }

        book.Identified(track.Id, Obs("ada"), Ada, SameFace, _time.GetTimestamp(), Jpeg);
        See(book, tracker, 100);
        book.Identified(track.Id, Obs("ada"), Ada, SameFace, _time.GetTimestamp(), Jpeg);
        book.Ended(track.Id, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(10));
        book.Sweep(_time.GetTimestamp());

        var events = await DrainAsync(outbox, reader, book, tracker);
        Assert.Equal([IdentityEventKind.Arrived, IdentityEventKind.Left], events.Select(e => e.Event));
        using var decoded = Cv2.ImDecode(events[0].FaceJpeg!, ImreadModes.Color);
        Assert.Equal(new Size(112, 112), decoded.Size());
        Assert.Null(events[1].FaceJpeg);
        Assert.Equal(1, encoded);
    }

    [Fact]
    public async Task Decisions_say_who_was_nearest_and_by_what_margin_also_for_unknown()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var track = See(book, tracker, 100);
        for (var i = 0; i < _options.MinUnknownObservations; i++)
        {
            book.Identified(track.Id, new IdentityObservation("unknown", false, 0.3, 0.41, 1) { Nearest = "ada", Margin = 0.05 }, Bob, SameFace, _time.GetTimestamp());
            See(book, tracker, 100);
        }

        var events = await DrainAsync(outbox, reader, book, tracker);
        var arrived = events.Single(e => e.Event == IdentityEventKind.Arrived);
        Assert.Equal(("unknown", "ada", 0.41, 0.05), (arrived.Name, arrived.Nearest, arrived.Similarity, arrived.Margin));
        var left = events.Single(e => e.Event == IdentityEventKind.Left);
        Assert.Equal((null, null, null), (left.Nearest, left.Similarity, left.Margin));
    }

    [Fact]
    public async Task A_track_that_never_got_a_decision_ends_silently()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var track = See(book, tracker, 100);
        Identify(book, track, "unknown", Bob);
        book.Ended(track.Id, _time.GetTimestamp());
        Assert.Empty(await DrainAsync(outbox, reader, book, tracker));
    }

    private sealed record ChannelReaderHolder(System.Threading.Channels.ChannelReader<IdentityEvent> Reader);
}
