using System.Collections.Concurrent;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.LiveView;

using FaceWatch.Core.Health;
namespace FaceWatch.Commands.Scenarios;

/// <summary>
/// One processed frame as the overlay would draw it: which frame of the video it was, when it was captured, its labelled
/// tracks. <paramref name="CaptureTimestamp"/> is the frame's <see cref="Frame.CaptureTimestamp"/>, which the embedding
/// worker's observations carry too (0 when unknown). <paramref name="Load"/>: the camera's detection counters after this
/// frame (the difference to the previous record says whether this frame was searched whole, in regions or not at all).
/// </summary>
public sealed record FrameRecord(int Frame, long Sequence, DateTimeOffset CapturedAt, IReadOnlyList<TrackOverlay> Tracks, long CaptureTimestamp = 0, DetectionLoad? Load = null);

/// <summary>
/// An <see cref="IFrameAnnotationSink"/> that keeps every posted frame's tracks (box, id, name) with the video frame
/// number: read from the <see cref="FrameStamp"/> (any transport), or the camera's frame counter (a file played once).
/// </summary>
public sealed class OverlayRecorder : IFrameAnnotationSink
{
    private readonly Func<Frame, int?> _frameOf;
    private readonly ConcurrentQueue<FrameRecord> _frames = new();
    private int _lastFrame = -1;

    private OverlayRecorder(Func<Frame, int?> frameOf) => _frameOf = frameOf;

    /// <summary>The frame number comes from the stamp in the picture (scenario videos).</summary>
    public static OverlayRecorder Stamped() => new(f => FrameStamp.Read(f.Image));

    /// <summary>The frame number is the camera's frame counter minus one (a file camera that reads every frame in order).</summary>
    public static OverlayRecorder BySequence() => new(f => (int)(f.Sequence - 1));

    public IReadOnlyList<FrameRecord> Frames => [.. _frames];

    /// <summary>The highest frame number posted so far (-1 before the first).</summary>
    public int LastFrame => Volatile.Read(ref _lastFrame);

    /// <summary>Frames whose number could not be read (no or damaged stamp).</summary>
    public int Unreadable { get; private set; }

    /// <summary>
    /// When the stream started again from its beginning (an RTSP reader reconnects at the end of the video and the
    /// server serves it anew); frames from then on are not recorded. Null while the video plays through once.
    /// </summary>
    public DateTimeOffset? ReplayedAt { get; private set; }

    // A frame this far before the newest one is the video starting over, not a late frame.
    private const int ReplayJump = 30;

    public void Post(Frame frame, IReadOnlyList<TrackOverlay> tracks, CameraHealth? health)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(tracks);
        var index = _frameOf(frame);
        if (index is not { } i)
        {
            Unreadable++;
            return;
        }

        if (ReplayedAt is not null)
        {
            return;
        }

        if (i < Volatile.Read(ref _lastFrame) - ReplayJump)
        {
            ReplayedAt = frame.CapturedAt;
            return;
        }

        _frames.Enqueue(new FrameRecord(i, frame.Sequence, frame.CapturedAt, [.. tracks], frame.CaptureTimestamp, health?.Detection));
        if (i > Volatile.Read(ref _lastFrame))
        {
            Volatile.Write(ref _lastFrame, i); // one detection worker posts: no race between writers
        }
    }
}
