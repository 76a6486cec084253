using OpenCvSharp;

namespace FaceWatch.Pipeline.Workers;

/// <summary>An aligned face crop (a copy, never a view of the frame) waiting to be embedded. Owns <see cref="Image"/>.</summary>
public sealed class FaceCrop : IDisposable
{
    private static long s_live;
    private int _disposed;

    public FaceCrop(TrackBook book, long trackId, Mat image, double weight, long captureTimestamp)
    {
        Book = book;
        TrackId = trackId;
        Image = image;
        Weight = weight;
        CaptureTimestamp = captureTimestamp;
        Interlocked.Increment(ref s_live);
    }

    /// <summary>Crops created and not yet disposed, process-wide (leak check).</summary>
    public static long LiveCount => Interlocked.Read(ref s_live);

    /// <summary>The identity book of the camera the face was seen on.</summary>
    public TrackBook Book { get; }

    public long TrackId { get; }

    public Mat Image { get; }

    /// <summary>0..1 trust in this face (size, detector score, sharpness).</summary>
    public double Weight { get; }

    /// <summary>When the frame with this face was captured (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long CaptureTimestamp { get; }

    /// <summary>Face size x sharpness: ranks a visit's faces for the stranger store (0 when not measured).</summary>
    public double Quality { get; init; }

    /// <summary>The detection box in frame pixels, so an observation can be matched to the face it came from (bench, tests).</summary>
    public Rect2f Box { get; init; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Interlocked.Decrement(ref s_live);
        }

        Image.Dispose();
    }
}
