using OpenCvSharp;

namespace FaceWatch.Pipeline.Capture;

// Size: six parameters: a frame's own facts (camera, sequence, image, the two capture times) and the pool its image goes back to.
/// <summary>
/// One decoded camera frame (BGR, 8-bit, 3 channels). Owns its <see cref="Mat"/>:
/// whoever holds the frame disposes it, and writing it to a channel hands ownership over. An image rented from a
/// <see cref="FrameBufferPool"/> goes back to it on dispose (so nothing may keep a view of <see cref="Image"/>: crops are copies).
/// </summary>
public sealed class Frame : IDisposable
{
    private static long s_live;
    private readonly FrameBufferPool? _pool;
    private int _disposed;

    /// <param name="pool">Where <paramref name="image"/> was rented from and goes back on dispose; null: disposed.</param>
    public Frame(string camera, long sequence, Mat image, DateTimeOffset capturedAt, long captureTimestamp, FrameBufferPool? pool = null)
    {
        _pool = pool;
        Camera = camera;
        Sequence = sequence;
        Image = image;
        CapturedAt = capturedAt;
        CaptureTimestamp = captureTimestamp;
        Interlocked.Increment(ref s_live);
    }

    /// <summary>Frames created and not yet disposed, process-wide: a leak check for tests and diagnostics.</summary>
    public static long LiveCount => Interlocked.Read(ref s_live);

    public string Camera { get; }

    /// <summary>Per-camera frame counter, starting at 1.</summary>
    public long Sequence { get; }

    public Mat Image { get; }

    public DateTimeOffset CapturedAt { get; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> at capture, for latency measurement.</summary>
    public long CaptureTimestamp { get; }

    /// <summary>The camera's ownership epoch when it was read (<see cref="CameraTerm.Epoch"/>; null on a single box).</summary>
    public long? Epoch { get; init; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Interlocked.Decrement(ref s_live);
        if (_pool is not null)
        {
            _pool.Return(Image);
        }
        else
        {
            Image.Dispose();
        }
    }
}
