using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FaceWatch.Pipeline.Telemetry;

/// <summary>
/// Every FaceWatch instrument, on the meter <c>FaceWatch</c>, created once (register as a singleton).
/// Stages call the small methods below; <c>/metrics</c> exports whatever they record.
/// Names are dotted lowercase with units; per-camera series carry the tag <c>camera</c>.
/// </summary>
public sealed class FaceWatchMetrics : IDisposable
{
    public const string MeterName = "FaceWatch";

    // Millisecond latencies of CPU inference: most stages take 1..500 ms.
    private static readonly IReadOnlyList<double> LatencyBucketsMs =
        [1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250, 400, 600, 1000, 2500, 5000];

    private readonly Meter _meter;
    private readonly Counter<long> _framesRead;
    private readonly Counter<long> _framesDropped;
    private readonly Counter<long> _framesProcessed;
    private readonly Counter<long> _reconnects;
    private readonly Histogram<double> _detectionMs;
    private readonly Histogram<double> _embeddingMs;
    private readonly Histogram<double> _identificationMs;
    private readonly Histogram<double> _frameLatencyMs;
    private readonly Histogram<double> _overlayDrawMs;
    private readonly Counter<long> _events;
    private readonly Counter<long> _facesDetected;
    private readonly Counter<long> _mqttPublished;
    private readonly Counter<long> _snapshotsWritten;
    private readonly ConcurrentDictionary<string, Func<long>> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _cameraOnline = new(StringComparer.Ordinal);
    private int _mqttConnected;
    private long _mqttOutbox;

    public FaceWatchMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _framesRead = _meter.CreateCounter<long>("facewatch.frames.read", "{frame}", "Frames decoded from a camera.");
        _framesDropped = _meter.CreateCounter<long>("facewatch.frames.dropped", "{frame}", "Frames skipped because a later stage was busy (tag stage).");
        _framesProcessed = _meter.CreateCounter<long>("facewatch.frames.processed", "{frame}", "Frames that went through detection.");
        _reconnects = _meter.CreateCounter<long>("facewatch.camera.reconnects", "{reconnect}", "Camera reconnect attempts.");
        _detectionMs = _meter.CreateHistogram("facewatch.detection.duration", "ms", "Face detection time per frame.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _embeddingMs = _meter.CreateHistogram("facewatch.embedding.duration", "ms", "Embedding time per face batch.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _identificationMs = _meter.CreateHistogram("facewatch.identification.duration", "ms", "Identification time per face.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _frameLatencyMs = _meter.CreateHistogram("facewatch.frame.latency", "ms", "Capture to identified, per frame.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _overlayDrawMs = _meter.CreateHistogram("facewatch.overlay.draw.duration", "ms", "Overlay drawing time per frame (windows and web view).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _events = _meter.CreateCounter<long>("facewatch.events", "{event}", "Identity events by type (arrived, changed, left).");
        _facesDetected = _meter.CreateCounter<long>("facewatch.faces.detected", "{face}", "Faces found by the detector.");
        _mqttPublished = _meter.CreateCounter<long>("facewatch.mqtt.published", "{message}", "MQTT messages delivered to the broker.");
        _snapshotsWritten = _meter.CreateCounter<long>("facewatch.snapshots.written", "{file}", "Face snapshots stored on disk.");
        _meter.CreateObservableGauge("facewatch.queue.depth", ObserveQueues, "{item}", "Items waiting in each pipeline queue (tag queue).");
        _meter.CreateObservableGauge("facewatch.camera.online", ObserveCameras, "{camera}", "1 while the camera delivers frames, else 0.");
        _meter.CreateObservableGauge("facewatch.mqtt.connected", () => Volatile.Read(ref _mqttConnected), "{connection}", "1 while connected to the MQTT broker.");
        _meter.CreateObservableGauge("facewatch.mqtt.outbox.size", () => Interlocked.Read(ref _mqttOutbox), "{message}", "Events buffered while the broker is unreachable.");
    }

    public void FrameRead(string camera) => _framesRead.Add(1, new KeyValuePair<string, object?>("camera", camera));

    /// <param name="stage">Where it was dropped, e.g. <c>capture</c> or <c>detect</c>.</param>
    public void FrameDropped(string camera, string stage, long count = 1) =>
        _framesDropped.Add(count, new KeyValuePair<string, object?>("camera", camera), new KeyValuePair<string, object?>("stage", stage));

    public void FrameProcessed(string camera) => _framesProcessed.Add(1, new KeyValuePair<string, object?>("camera", camera));

    public void CameraReconnect(string camera) => _reconnects.Add(1, new KeyValuePair<string, object?>("camera", camera));

    public void CameraOnline(string camera, bool online) => _cameraOnline[camera] = online;

    public void DetectionDuration(string camera, double milliseconds, int faces)
    {
        var tag = new KeyValuePair<string, object?>("camera", camera);
        _detectionMs.Record(milliseconds, tag);
        if (faces > 0)
        {
            _facesDetected.Add(faces, tag);
        }
    }

    public void EmbeddingDuration(double milliseconds, int faces) =>
        _embeddingMs.Record(milliseconds, new KeyValuePair<string, object?>("faces", faces));

    public void IdentificationDuration(double milliseconds) => _identificationMs.Record(milliseconds);

    public void FrameLatency(string camera, double milliseconds) =>
        _frameLatencyMs.Record(milliseconds, new KeyValuePair<string, object?>("camera", camera));

    /// <param name="target"><c>window</c> or <c>web</c>.</param>
    public void OverlayDrawDuration(string target, double milliseconds) =>
        _overlayDrawMs.Record(milliseconds, new KeyValuePair<string, object?>("target", target));

    /// <param name="type"><see cref="Publishing.IdentityEventKind"/> value.</param>
    public void Event(string type, string camera) =>
        _events.Add(1, new KeyValuePair<string, object?>("type", type), new KeyValuePair<string, object?>("camera", camera));

    public void MqttPublished() => _mqttPublished.Add(1);

    public void MqttConnected(bool connected) => Volatile.Write(ref _mqttConnected, connected ? 1 : 0);

    public void MqttOutboxSize(long size) => Interlocked.Exchange(ref _mqttOutbox, size);

    public void SnapshotWritten(string camera) => _snapshotsWritten.Add(1, new KeyValuePair<string, object?>("camera", camera));

    /// <summary>Reports a queue's depth on every collection (e.g. <c>() => channel.Reader.Count</c>); a later call with the same name replaces it.</summary>
    public void RegisterQueue(string queue, Func<long> depth)
    {
        ArgumentNullException.ThrowIfNull(depth);
        _queues[queue] = depth;
    }

    public void UnregisterQueue(string queue) => _queues.TryRemove(queue, out _);

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveQueues()
    {
        foreach (var (name, depth) in _queues)
        {
            yield return new Measurement<long>(depth(), new KeyValuePair<string, object?>("queue", name));
        }
    }

    private IEnumerable<Measurement<int>> ObserveCameras()
    {
        foreach (var (camera, online) in _cameraOnline)
        {
            yield return new Measurement<int>(online ? 1 : 0, new KeyValuePair<string, object?>("camera", camera));
        }
    }
}
