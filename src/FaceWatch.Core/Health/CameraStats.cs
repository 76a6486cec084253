namespace FaceWatch.Core.Health;

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

    // Detection load: counts, and averages over about the last 20 processed frames (written by the one detection worker).
    private const double Smoothing = 0.05;
    private long _stillFrames;
    private long _waitedFrames;
    private long _fullScans;
    private long _regionScans;
    private double _motionShare;
    private double _regionsPerFrame;
    private double _detectorMs;
    private double _detectorMsTotal;
    private long _regionsTotal;

    /// <summary>Detector milliseconds over all processed frames (a bench divides differences by frames).</summary>
    public double DetectorMsTotal => Volatile.Read(ref _detectorMsTotal);

    /// <summary>Regions searched over all processed frames (a full scan counts as one).</summary>
    public long RegionsTotal => Interlocked.Read(ref _regionsTotal);

    /// <summary>Processed frames the detector did not run on: nothing moved and nothing was tracked.</summary>
    public long StillFrames => Interlocked.Read(ref _stillFrames);

    /// <summary>Processed frames searched whole.</summary>
    public long FullScans => Interlocked.Read(ref _fullScans);

    /// <summary>Processed frames searched only in regions (motion, tracks).</summary>
    public long RegionScans => Interlocked.Read(ref _regionScans);

    /// <summary>Share of the frame that moved, recent average (0..1).</summary>
    public double MotionShare => Volatile.Read(ref _motionShare);

    /// <summary>Regions searched per processed frame, recent average (a full scan counts as one).</summary>
    public double RegionsPerFrame => Volatile.Read(ref _regionsPerFrame);

    /// <summary>Detector milliseconds per processed frame (gate and motion included), recent average.</summary>
    public double DetectorMs => Volatile.Read(ref _detectorMs);

    /// <summary>
    /// Processed frames not searched although something moved: motion covered most of the frame (or was unknown) and the
    /// last full scan was too recent, with no tracked face to follow.
    /// </summary>
    public long WaitedFrames => Interlocked.Read(ref _waitedFrames);

    /// <summary>
    /// One processed frame's detection: <paramref name="regions"/> searched (-1 for a full scan, 0 for none);
    /// <paramref name="still"/>: none because nothing moved (else it waited for the next full scan).
    /// </summary>
    public void OnDetection(int regions, bool still, double motionShare, double detectorMs)
    {
        if (regions == 0)
        {
            Interlocked.Increment(ref still ? ref _stillFrames : ref _waitedFrames);
        }
        else if (regions < 0)
        {
            Interlocked.Increment(ref _fullScans);
        }
        else
        {
            Interlocked.Increment(ref _regionScans);
        }

        Volatile.Write(ref _detectorMsTotal, _detectorMsTotal + detectorMs);
        Interlocked.Add(ref _regionsTotal, Math.Abs(regions));
        Volatile.Write(ref _motionShare, Average(_motionShare, motionShare));
        Volatile.Write(ref _regionsPerFrame, Average(_regionsPerFrame, Math.Abs(regions)));
        Volatile.Write(ref _detectorMs, Average(_detectorMs, detectorMs));
    }

    private static double Average(double previous, double value) => previous + (Smoothing * (value - previous));
}
