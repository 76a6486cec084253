using System.Threading.Channels;
using FaceWatch.Pipeline.Capture;
using OpenCvSharp;

using FaceWatch.Core.Health;
namespace FaceWatch.Pipeline.LiveView;

// Size: AnnotatedFrame is a data carrier (frame, overlays, health, stamps): its constructor parameters are its fields.
/// <summary>A private copy of a processed frame with what to draw on it. Owns <see cref="Image"/>.</summary>
public sealed class AnnotatedFrame : IDisposable
{
    public AnnotatedFrame(string camera, long sequence, Mat image, IReadOnlyList<TrackOverlay> tracks, CameraHealth? health, DateTimeOffset capturedAt)
    {
        Camera = camera;
        Sequence = sequence;
        Image = image;
        Tracks = tracks;
        Health = health;
        CapturedAt = capturedAt;
    }

    public string Camera { get; }

    public long Sequence { get; }

    public Mat Image { get; }

    public IReadOnlyList<TrackOverlay> Tracks { get; }

    public CameraHealth? Health { get; }

    public DateTimeOffset CapturedAt { get; }

    /// <summary>Copies what a sink needs from the pipeline's frame (the pipeline keeps its own).</summary>
    public static AnnotatedFrame CopyOf(Frame frame, IReadOnlyList<TrackOverlay> tracks, CameraHealth? health)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(tracks);
        return new AnnotatedFrame(frame.Camera, frame.Sequence, frame.Image.Clone(), tracks.ToArray(), health, frame.CapturedAt);
    }

    public void Dispose() => Image.Dispose();
}

/// <summary>
/// A one-slot hand-off between the pipeline and a slow consumer (a window, a JPEG encoder):
/// the newest frame wins, an older one still waiting is disposed and counted.
/// </summary>
public sealed class FrameMailbox : IDisposable
{
    private readonly Channel<AnnotatedFrame> _slot;
    private long _replaced;

    public FrameMailbox()
    {
        _slot = Channel.CreateBounded<AnnotatedFrame>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false },
            dropped =>
            {
                dropped.Dispose();
                Interlocked.Increment(ref _replaced);
            });
    }

    /// <summary>Frames replaced by a newer one before the consumer took them.</summary>
    public long Replaced => Interlocked.Read(ref _replaced);

    public ChannelReader<AnnotatedFrame> Reader => _slot.Reader;

    /// <summary>Puts a frame in the slot (ownership passes to the mailbox); after <see cref="Dispose"/> the frame is disposed here.</summary>
    public void Put(AnnotatedFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (!_slot.Writer.TryWrite(frame))
        {
            frame.Dispose();
        }
    }

    /// <summary>Closes the slot and disposes a frame still waiting in it.</summary>
    public void Dispose()
    {
        _slot.Writer.TryComplete();
        while (_slot.Reader.TryRead(out var left))
        {
            left.Dispose();
        }
    }
}
