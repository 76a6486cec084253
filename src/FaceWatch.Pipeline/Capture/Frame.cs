using OpenCvSharp;

namespace FaceWatch.Pipeline.Capture;

/// <summary>
/// One decoded camera frame (BGR, 8-bit, 3 channels). Owns its <see cref="Mat"/>:
/// whoever holds the frame disposes it, and writing it to a channel hands ownership over.
/// </summary>
public sealed class Frame : IDisposable
{
    public Frame(string camera, long sequence, Mat image, DateTimeOffset capturedAt, long captureTimestamp)
    {
        Camera = camera;
        Sequence = sequence;
        Image = image;
        CapturedAt = capturedAt;
        CaptureTimestamp = captureTimestamp;
    }

    public string Camera { get; }

    /// <summary>Per-camera frame counter, starting at 1.</summary>
    public long Sequence { get; }

    public Mat Image { get; }

    public DateTimeOffset CapturedAt { get; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> at capture, for latency measurement.</summary>
    public long CaptureTimestamp { get; }

    public void Dispose() => Image.Dispose();
}
