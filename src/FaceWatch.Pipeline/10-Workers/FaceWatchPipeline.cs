using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Tracking;
using Microsoft.Extensions.Logging;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Motion;
namespace FaceWatch.Pipeline.Workers;

/// <summary>All settings the pipeline runs with (one options object per config section).</summary>
public sealed record PipelineSettings(
    IReadOnlyList<CameraOptions> Cameras,
    CaptureOptions Capture,
    PipelineOptions Pipeline,
    TrackingOptions Tracking,
    RecognitionOptions Recognition,
    IdentityOptions Identity)
{
    /// <summary>Where the detector looks (motion and tracks); the defaults when not given.</summary>
    public GatingOptions Gating { get; init; } = new();

    /// <summary>Best faces an <c>unknown</c> visit keeps for the stranger store (<c>Strangers:CropsPerVisit</c>); 0 when strangers are not kept.</summary>
    public int StrangerFaces { get; init; }
}

/// <summary>The shared stages: one detector and one embedder (one ONNX session per model) for all cameras.</summary>
public sealed record PipelineStages(
    IFrameSourceFactory Sources,
    IFaceDetector Detector,
    AlignFace Align,
    IFaceEmbedder Embedder,
    GalleryWatcher Gallery,
    IReadOnlyList<IFrameAnnotationSink> Sinks)
{
    /// <summary>When each camera may be read: always on a single box, under its lease in cluster mode.</summary>
    public ICameraGate Gate { get; init; } = OpenCameraGate.Instance;
}

/// <summary>One camera's parts, visible for health and the bench.</summary>
public sealed record CameraRuntime(
    CameraOptions Options, CameraStats Stats, DropOldestQueue<Frame> Frames, CameraReader Reader, CameraDetector Detector, DetectionWorker Worker, TrackBook Book);

// Size: six parameters: the wiring of all stages needs the settings, the stages, the event hub, the health registry, the clock and the loggers.
/// <summary>
/// Wires the stages: per camera a reader thread -> newest-wins frame queue -> detection worker; all cameras ->
/// one crop queue -> one embedding worker -> per-camera track books -> event outbox -> <see cref="IdentityEventHub"/>.
/// Runs until cancelled; a crashed worker stops the rest and its exception comes out of <see cref="RunAsync"/>.
/// </summary>
public sealed class FaceWatchPipeline : IDisposable
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly PipelineSettings _settings;
    private readonly PipelineStages _stages;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IdentityEventHub _hub;
    private readonly DropOldestQueue<FaceCrop> _crops;
    private readonly EmbeddingWorker _embedding;
    private readonly LimitedFaceDetector? _limitedDetector;

    /// <param name="metrics">Where events, identification times and frame latencies are recorded (the daemon's); none when null.</param>
    public FaceWatchPipeline(
        PipelineSettings settings, PipelineStages stages, IdentityEventHub hub, CameraHealthRegistry health, TimeProvider time, ILoggerFactory loggers,
        FaceWatchMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(loggers);
        _settings = settings;
        _stages = stages;
        _time = time;
        _logger = loggers.CreateLogger<FaceWatchPipeline>();
        _hub = hub;
        Outbox = new EventOutbox(hub, loggers.CreateLogger("FaceWatch.Events"), metrics: metrics);
        _crops = new DropOldestQueue<FaceCrop>(settings.Recognition.CropQueueCapacity, singleWriter: false);
        var captureLogger = loggers.CreateLogger<CameraReader>();
        var workerLogger = loggers.CreateLogger<DetectionWorker>();
        var cameras = new List<CameraRuntime>();
        var enabled = settings.Cameras.Where(c => c.Enabled).ToList();
        var slots = settings.Pipeline.ParallelDetectionsLimit();
        var detector = stages.Detector;
        if (enabled.Count > slots)
        {
            _limitedDetector = new LimitedFaceDetector(stages.Detector, slots);
            detector = _limitedDetector;
        }

        long trackIdBase = 0;
        foreach (var camera in enabled)
        {
            var stats = new CameraStats();
            health.Attach(camera.Name, stats);
            var frames = new DropOldestQueue<Frame>(settings.Capture.FrameQueueCapacity, singleWriter: true, _ => stats.OnDropped());
            var reader = new CameraReader(camera, settings.Capture, stages.Sources, frames, stats, health, time, captureLogger) { Gate = stages.Gate };
            // Track ids are unique across cameras: each camera counts in its own range, shared by its tracker and its visits.
            var ids = new TrackIdSource((trackIdBase++ * 1_000_000_000L) + 1);
            var book = new TrackBook(camera.Name, settings.Identity, Outbox, time, ids) { KeepFaces = settings.StrangerFaces };
            var tracker = new FaceTracker(settings.Tracking, time, ids);
#pragma warning disable CA2000 // the camera's runtime owns it: disposed in Dispose
            var cameraDetector = new CameraDetector(detector, settings.Gating, camera, settings.Pipeline.DetectMaxSide, time.TimestampFrequency, stats);
#pragma warning restore CA2000
            var crops = new CropScheduler(camera.MinFaceSize, settings.Recognition, stages.Align, _crops, book);
            var annotator = new FrameAnnotator(camera.Name, stages.Sinks, health, workerLogger);
            var processor = new CameraFrameProcessor(cameraDetector, tracker, book, crops, annotator);
            var worker = new DetectionWorker(frames, new FramePacer(camera.DetectFps, time.TimestampFrequency, stats), processor, time);
            cameras.Add(new CameraRuntime(camera, stats, frames, reader, cameraDetector, worker, book));
        }

        Cameras = cameras;
        var identifier = new BatchIdentifier(stages.Embedder, stages.Gallery, loggers.CreateLogger<EmbeddingWorker>(), metrics);
        _embedding = new EmbeddingWorker(_crops, identifier, settings.Recognition.BatchSize, [.. cameras.Select(c => c.Book)]);
    }

    public IReadOnlyList<CameraRuntime> Cameras { get; }

    public EventOutbox Outbox { get; }

    public EmbeddingWorker Embedding => _embedding;

    public long CropsDropped => _crops.DroppedCount;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Log.PipelineStarted(_logger, Cameras.Count, _settings.Pipeline.DetectMaxSide);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var outboxTask = Task.Run(() => Outbox.RunAsync(CancellationToken.None), CancellationToken.None);
        var workers = new List<(string Name, Task Task)>
        {
            ("gallery", Task.Run(() => _stages.Gallery.RunAsync(stopping.Token), CancellationToken.None)),
            ("embedding", Task.Run(() => _embedding.RunAsync(stopping.Token), CancellationToken.None)),
        };
        foreach (var camera in Cameras)
        {
            workers.Add(($"capture {camera.Options.Name}", Task.Run(() => camera.Reader.RunAsync(stopping.Token), CancellationToken.None)));
            workers.Add(($"detection {camera.Options.Name}", Task.Run(() => camera.Worker.RunAsync(stopping.Token), CancellationToken.None)));
        }

        Exception? crash = null;
        var pending = workers.ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending.Select(w => w.Task)).ConfigureAwait(false);
            var worker = pending.First(w => w.Task == done);
            pending.Remove(worker);
            if (done.IsFaulted && crash is null)
            {
                crash = done.Exception!.GetBaseException();
                Log.WorkerCrashed(_logger, crash, worker.Name);
                await stopping.CancelAsync().ConfigureAwait(false);
            }
            else if (!stopping.IsCancellationRequested && worker.Name.StartsWith("detection", StringComparison.Ordinal)
                && Cameras.All(c => c.Frames.Reader.Completion.IsCompleted))
            {
                // Every camera finished (files played once): the pipeline is done.
                await stopping.CancelAsync().ConfigureAwait(false);
            }
        }

        // Every worker has stopped and flushed its tracks (the last "left" events are in the outbox): publish what is
        // queued, and only then end the hub's stream, so a subscriber that reads to the end has every event.
        Outbox.Complete();
        await Task.WhenAny(outboxTask, Task.Delay(DrainTimeout, _time, CancellationToken.None)).ConfigureAwait(false);
        if (!outboxTask.IsCompleted)
        {
            // A subscriber stopped reading: say how many events it will not see rather than lose them silently.
            Log.EventsUnpublished(_logger, Outbox.Pending, DrainTimeout.TotalSeconds);
        }

        _hub.Complete();
        Log.PipelineStopped(_logger, Outbox.Published, Cameras.Sum(c => c.Stats.Dropped), _crops.DroppedCount);
        if (crash is not null)
        {
            throw new InvalidOperationException($"A pipeline worker crashed: {crash.Message}", crash);
        }
    }

    public void Dispose()
    {
        _crops.Dispose();
        foreach (var camera in Cameras)
        {
            camera.Frames.Dispose();
            camera.Detector.Dispose();
        }

        _limitedDetector?.Dispose();
    }
}
