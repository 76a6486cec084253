using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Tracking;
using FaceWatch.Pipeline.Workers;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;

namespace FaceWatch.Tests.Daemon;

/// <summary>Events of one camera's tracks: one arrived and one left per visit, also across a cut.</summary>
public class TrackBookTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RecognitionOptions _options = new() { RejoinSeconds = 4 };
    private readonly IdentityEventHub _hub = new();

    private (TrackBook Book, FaceTracker Tracker, EventOutbox Outbox) Make()
    {
        var outbox = new EventOutbox(_hub, NullLogger.Instance);
        return (new TrackBook("cam", _options, outbox, _time), new FaceTracker(new TrackingOptions { MinHits = 1 }, _time), outbox);
    }

    private Track See(TrackBook book, FaceTracker tracker, float x)
    {
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var track = tracker.Update([new FaceDetection(new Rect2f(x, 50, 80, 80), 0.99f, new Point2f[5])], _time.GetTimestamp(), _time.GetUtcNow())
            .Active.Single(t => t.Detection is not null);
        book.Seen(track, new Size(640, 360));
        return track;
    }

    private static async Task<List<IdentityEvent>> DrainAsync(EventOutbox outbox, ChannelReaderHolder reader)
    {
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
        book.Identified(first.Id, new IdentityObservation("ada", true, 0.95, 0.8, 1), _time.GetTimestamp());
        book.Ended(first.Id, _time.GetTimestamp());

        _time.Advance(TimeSpan.FromSeconds(2)); // a cut, then the same person elsewhere in the frame
        var second = See(book, tracker, 400);
        Assert.NotEqual(first.Id, second.Id);
        book.Identified(second.Id, new IdentityObservation("ada", true, 0.96, 0.8, 1), _time.GetTimestamp());
        book.Ended(second.Id, _time.GetTimestamp());
        book.Sweep(_time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(5));
        book.Sweep(_time.GetTimestamp());

        var events = await DrainAsync(outbox, reader);
        Assert.Equal([IdentityEventKind.Arrived, IdentityEventKind.Left], events.Select(e => e.Event));
        Assert.All(events, e => Assert.Equal(first.Id, e.TrackId));
        Assert.Equal(2, events[1].Observations);
        Assert.True(events[1].DurationSeconds >= 2);
    }

    [Fact]
    public async Task After_the_rejoin_window_a_new_visit_starts()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var first = See(book, tracker, 100);
        book.Identified(first.Id, new IdentityObservation("ada", true, 0.95, 0.8, 1), _time.GetTimestamp());
        book.Ended(first.Id, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(5));
        book.Sweep(_time.GetTimestamp());
        var second = See(book, tracker, 400);
        book.Identified(second.Id, new IdentityObservation("ada", true, 0.95, 0.8, 1), _time.GetTimestamp());
        book.Ended(second.Id, _time.GetTimestamp());
        book.Sweep(_time.GetTimestamp(), all: true);

        var events = await DrainAsync(outbox, reader);
        Assert.Equal(
            [(IdentityEventKind.Arrived, first.Id), (IdentityEventKind.Left, first.Id), (IdentityEventKind.Arrived, second.Id), (IdentityEventKind.Left, second.Id)],
            events.Select(e => (e.Event, e.TrackId)));
        Assert.All(events, e => Assert.Equal((640, 360, "cam", "ada", true), (e.FrameWidth, e.FrameHeight, e.Camera, e.Name, e.Known)));
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

        book.Identified(track.Id, new IdentityObservation("ada", true, 0.95, 0.8, 1), _time.GetTimestamp(), Jpeg);
        See(book, tracker, 100);
        book.Identified(track.Id, new IdentityObservation("ada", true, 0.95, 0.8, 1), _time.GetTimestamp(), Jpeg);
        book.Ended(track.Id, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(10));
        book.Sweep(_time.GetTimestamp());

        var events = await DrainAsync(outbox, reader);
        Assert.Equal([IdentityEventKind.Arrived, IdentityEventKind.Left], events.Select(e => e.Event));
        using var decoded = Cv2.ImDecode(events[0].FaceJpeg!, ImreadModes.Color);
        Assert.Equal(new Size(112, 112), decoded.Size());
        Assert.Null(events[1].FaceJpeg);
        Assert.Equal(1, encoded);
    }

    [Fact]
    public async Task A_track_that_never_got_a_decision_ends_silently()
    {
        var reader = new ChannelReaderHolder(_hub.Subscribe());
        var (book, tracker, outbox) = Make();
        var track = See(book, tracker, 100);
        book.Identified(track.Id, new IdentityObservation("unknown", false, 0.3, 0.1, 1), _time.GetTimestamp());
        book.Ended(track.Id, _time.GetTimestamp());
        book.Sweep(_time.GetTimestamp(), all: true);
        Assert.Empty(await DrainAsync(outbox, reader));
    }

    private sealed record ChannelReaderHolder(System.Threading.Channels.ChannelReader<IdentityEvent> Reader);
}
