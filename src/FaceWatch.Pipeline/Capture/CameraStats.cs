namespace FaceWatch.Pipeline.Capture;

/// <summary>Counters of one camera, written by its capture thread and detection worker, read by health reports.</summary>
public sealed class CameraStats
{
    private long _captured;
    private long _dropped;
    private long _processed;
    private long _skipped;

    public long Captured => Interlocked.Read(ref _captured);

    /// <summary>Frames thrown away because the pipeline was behind (queue full, oldest dropped).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Frames the detector ran on.</summary>
    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>Frames passed over on purpose to hold the camera's DetectFps.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    public void OnCaptured() => Interlocked.Increment(ref _captured);

    public void OnDropped() => Interlocked.Increment(ref _dropped);

    public void OnProcessed() => Interlocked.Increment(ref _processed);

    public void OnSkipped() => Interlocked.Increment(ref _skipped);
}
