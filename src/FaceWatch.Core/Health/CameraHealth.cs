using System.Collections.Concurrent;

namespace FaceWatch.Core.Health;

/// <summary>What is known of one camera's health right now.</summary>
/// <param name="Reconnects">Successful reconnections: times the camera came back online after it had been online.</param>
/// <param name="Attempts">Times the camera was opened, the first included, whether or not it delivered a frame.</param>
/// <param name="FailedAttempts">Attempts that ended (failed to open, refused, timed out, stalled) before the first frame.</param>
public sealed record CameraHealth(
    string Camera,
    bool Online,
    long FramesRead,
    long FramesDropped,
    long Reconnects,
    double ProcessedFps,
    string? LastError,
    DateTimeOffset ChangedAt,
    long Attempts = 0,
    long FailedAttempts = 0)
{
    /// <summary>Where the detector looked (motion gating), live from the camera's counters; null before the first frame.</summary>
    public DetectionLoad? Detection { get; init; }

    /// <summary>Frames the detector ran on, live from the camera's counters.</summary>
    public long FramesProcessed { get; init; }
}

/// <summary>
/// One camera's detection load: frames not searched because nothing moved, full and region scans, and recent averages of
/// the moving share of the frame, regions per frame and detector milliseconds per frame.
/// </summary>
public sealed record DetectionLoad(long StillFrames, long FullScans, long RegionScans, double MotionShare, double RegionsPerFrame, double DetectorMs);

/// <summary>
/// The health of every camera, written by the capture stage and read by MQTT, the web view and metrics.
/// <see cref="StatusChanged"/> fires only when a camera goes online or offline, never per frame.
/// Frame counters come live from each camera's attached <see cref="CameraStats"/>, so a reader
/// (e.g. a <c>/metrics</c> scrape) never sees counts older than the last frame.
/// </summary>
public sealed class CameraHealthRegistry
{
    private readonly ConcurrentDictionary<string, CameraHealth> _cameras = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CameraStats> _stats = new(StringComparer.Ordinal);

    public event Action<CameraHealth>? StatusChanged;

    public IReadOnlyCollection<CameraHealth> Snapshot() => _cameras.Values.Select(WithLiveCounters).ToArray();

    public CameraHealth? Get(string camera) => _cameras.TryGetValue(camera, out var h) ? WithLiveCounters(h) : null;

    /// <summary>Reads the camera's frame counters from <paramref name="stats"/> from now on.</summary>
    public void Attach(string camera, CameraStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        _stats[camera] = stats;
    }

    /// <summary>Stores the camera's health; raises <see cref="StatusChanged"/> when online/offline flips (or on first report).</summary>
    public void Report(CameraHealth health)
    {
        ArgumentNullException.ThrowIfNull(health);
        var changed = true;
        _cameras.AddOrUpdate(
            health.Camera,
            health,
            (_, old) =>
            {
                changed = old.Online != health.Online;
                return health;
            });
        if (changed)
        {
            StatusChanged?.Invoke(health);
        }
    }

    private CameraHealth WithLiveCounters(CameraHealth health) =>
        _stats.TryGetValue(health.Camera, out var stats)
            ? health with
            {
                FramesRead = stats.Captured,
                FramesDropped = stats.Dropped,
                FramesProcessed = stats.Processed,
                Detection = new DetectionLoad(stats.StillFrames, stats.FullScans, stats.RegionScans, stats.MotionShare, stats.RegionsPerFrame, stats.DetectorMs),
            }
            : health;
}
