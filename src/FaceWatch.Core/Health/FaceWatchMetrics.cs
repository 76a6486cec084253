using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FaceWatch.Core.Health;

/// <summary>
/// The shared FaceWatch instruments on the meter <c>FaceWatch</c>, created once (register as a singleton).
/// Per-camera numbers (frames read, dropped and processed, reconnects, open attempts, fps, online) are observed from
/// the <see cref="CameraHealthRegistry"/>, so capture and detection code only count; stages call the small methods
/// below for latencies, events and queues. Every instrument comes from an <see cref="IMeterFactory"/>: this class, and
/// one small class per area that has its own (<c>DetectionMetrics</c> on <c>FaceWatch.Detection</c>,
/// <c>MqttMetrics</c> for <c>facewatch.mqtt.*</c> on <c>FaceWatch</c>); <c>/metrics</c> exports every meter named
/// <c>FaceWatch*</c>. Names are dotted lowercase with units; per-camera series carry the tag <c>camera</c>.
/// </summary>
public sealed class FaceWatchMetrics : IDisposable
{
    public const string MeterName = "FaceWatch";

    // Millisecond latencies of CPU inference: most stages take 1..500 ms.
    private static readonly IReadOnlyList<double> LatencyBucketsMs =
        [1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250, 400, 600, 1000, 2500, 5000];

    private readonly Meter _meter;
    private readonly CameraHealthRegistry? _cameras;
    private readonly TimeProvider _time;
    private readonly Histogram<double> _embeddingMs;
    private readonly Histogram<double> _identificationMs;
    private readonly Histogram<double> _frameLatencyMs;
    private readonly Histogram<double> _overlayDrawMs;
    private readonly Counter<long> _events;
    private readonly Counter<long> _snapshotsWritten;
    private readonly ConcurrentDictionary<string, Func<long>> _queues = new(StringComparer.Ordinal);
    private volatile Func<long>? _cropsDropped;

    /// <param name="time">The clock of frame capture timestamps (<see cref="FrameIdentified"/>).</param>
    public FaceWatchMetrics(IMeterFactory meterFactory, CameraHealthRegistry? cameras = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _cameras = cameras;
        _time = time ?? TimeProvider.System;
        _meter.CreateObservableCounter("facewatch.frames.read", () => PerCamera(h => h.FramesRead), "{frame}", "Frames decoded from each camera.");
        _meter.CreateObservableCounter("facewatch.frames.dropped", () => PerCamera(h => h.FramesDropped), "{frame}", "Frames skipped because detection was busy (newest frame wins).");
        _meter.CreateObservableCounter("facewatch.camera.reconnects", () => PerCamera(h => h.Reconnects), "{reconnect}", "Successful camera reconnections (back online after being online).");
        _meter.CreateObservableCounter("facewatch.camera.attempts", () => PerCamera(h => h.Attempts), "{attempt}", "Times each camera was opened, the first included, successful or not.");
        _meter.CreateObservableCounter("facewatch.camera.failed_attempts", () => PerCamera(h => h.FailedAttempts), "{attempt}", "Camera opens that ended before the first frame.");
        _meter.CreateObservableGauge("facewatch.camera.online", () => PerCamera(h => h.Online ? 1L : 0L), "{camera}", "1 while the camera delivers frames, else 0.");
        _meter.CreateObservableGauge("facewatch.camera.processed_fps", () => PerCamera(h => h.ProcessedFps), "{frame}/s", "Frames per second through detection.");
        // Where the detector looked (gating): counts of scans and recent per-frame averages.
        _meter.CreateObservableCounter("facewatch.detection.still_frames", () => PerCamera(h => h.Detection?.StillFrames ?? 0), "{frame}", "Processed frames the detector skipped: nothing moved and nothing was tracked.");
        _meter.CreateObservableCounter("facewatch.detection.full_scans", () => PerCamera(h => h.Detection?.FullScans ?? 0), "{frame}", "Processed frames searched whole.");
        _meter.CreateObservableCounter("facewatch.detection.region_scans", () => PerCamera(h => h.Detection?.RegionScans ?? 0), "{frame}", "Processed frames searched only in motion and track regions.");
        _meter.CreateObservableGauge("facewatch.detection.motion_share", () => PerCamera(h => h.Detection?.MotionShare ?? 0), "1", "Share of the frame that moved (recent average, 0..1).");
        _meter.CreateObservableGauge("facewatch.detection.regions_per_frame", () => PerCamera(h => h.Detection?.RegionsPerFrame ?? 0), "{region}", "Regions searched per processed frame (recent average; a full scan is one).");
        _meter.CreateObservableGauge("facewatch.detection.frame_time", () => PerCamera(h => h.Detection?.DetectorMs ?? 0), "ms", "Detector milliseconds per processed frame (recent average, motion and gate included).");
        _meter.CreateObservableCounter("facewatch.frames.processed", () => PerCamera(h => h.FramesProcessed), "{frame}", "Frames that went through detection.");
        _meter.CreateObservableCounter("facewatch.crops.dropped", ObserveCropsDropped, "{face}", "Aligned faces dropped unembedded because embedding was behind (oldest dropped).");
        _embeddingMs = _meter.CreateHistogram("facewatch.embedding.duration", "ms", "Embedding time per face batch.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _identificationMs = _meter.CreateHistogram("facewatch.identification.duration", "ms", "Identification time per face.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _frameLatencyMs = _meter.CreateHistogram("facewatch.frame.latency", "ms", "Frame capture to its faces identified, per frame with faces embedded.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _overlayDrawMs = _meter.CreateHistogram("facewatch.overlay.draw.duration", "ms", "Overlay drawing time per frame (windows and web view).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _events = _meter.CreateCounter<long>("facewatch.events", "{event}", "Identity events by type (arrived, changed, left).");
        _snapshotsWritten = _meter.CreateCounter<long>("facewatch.snapshots.written", "{file}", "Face snapshots stored on disk.");
        _meter.CreateObservableGauge("facewatch.queue.depth", ObserveQueues, "{item}", "Items waiting in each pipeline queue (tag queue).");
    }

    public void EmbeddingDuration(double milliseconds, int faces) =>
        _embeddingMs.Record(milliseconds, new KeyValuePair<string, object?>("faces", faces));

    public void IdentificationDuration(double milliseconds) => _identificationMs.Record(milliseconds);

    /// <summary>The faces of a frame captured at <paramref name="captureTimestamp"/> (<see cref="TimeProvider.GetTimestamp"/>) are identified now.</summary>
    public void FrameIdentified(string camera, long captureTimestamp) =>
        _frameLatencyMs.Record(_time.GetElapsedTime(captureTimestamp).TotalMilliseconds, new KeyValuePair<string, object?>("camera", camera));

    /// <param name="target"><c>window</c> or <c>web</c>.</param>
    public void OverlayDrawDuration(string target, double milliseconds) =>
        _overlayDrawMs.Record(milliseconds, new KeyValuePair<string, object?>("target", target));

    /// <param name="type"><see cref="Publishing.IdentityEventKind"/> value.</param>
    public void Event(string type, string camera) =>
        _events.Add(1, new KeyValuePair<string, object?>("type", type), new KeyValuePair<string, object?>("camera", camera));

    public void SnapshotWritten(string camera) => _snapshotsWritten.Add(1, new KeyValuePair<string, object?>("camera", camera));

    /// <summary>Reports a queue's depth on every collection (e.g. <c>() => channel.Reader.Count</c>); a later call with the same name replaces it.</summary>
    public void RegisterQueue(string queue, Func<long> depth)
    {
        ArgumentNullException.ThrowIfNull(depth);
        _queues[queue] = depth;
    }

    public void UnregisterQueue(string queue) => _queues.TryRemove(queue, out _);

    /// <summary>Reports <paramref name="dropped"/> (faces dropped from the crop queue since start) as <c>facewatch.crops.dropped</c>.</summary>
    public void ObserveCropsDropped(Func<long> dropped) => _cropsDropped = dropped ?? throw new ArgumentNullException(nameof(dropped));

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveQueues()
    {
        foreach (var (name, depth) in _queues)
        {
            yield return new Measurement<long>(depth(), new KeyValuePair<string, object?>("queue", name));
        }
    }

    private IEnumerable<Measurement<long>> ObserveCropsDropped()
    {
        if (_cropsDropped is { } dropped)
        {
            yield return new Measurement<long>(dropped());
        }
    }

    private IEnumerable<Measurement<T>> PerCamera<T>(Func<CameraHealth, T> value)
        where T : struct
    {
        foreach (var health in _cameras?.Snapshot() ?? [])
        {
            yield return new Measurement<T>(value(health), new KeyValuePair<string, object?>("camera", health.Camera));
        }
    }
}
