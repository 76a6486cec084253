using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Tracking;
using FaceWatch.Pipeline.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting;

/// <summary>
/// The daemon's worker: loads the gallery (or enrolls the demo gallery), picks the cameras (or the demo clip), and
/// runs <see cref="FaceWatchPipeline"/> until stopped. Start fails on an unusable gallery; a crashed stage makes
/// <see cref="BackgroundService.ExecuteTask"/> fault, which stops the host with a non-zero exit code.
/// </summary>
public sealed partial class PipelineService : BackgroundService
{
    public const string DemoCameraName = "demo";

    private readonly IServiceProvider _services;
    private readonly IOptions<CamerasOptions> _cameras;
    private readonly IOptions<DemoOptions> _demo;
    private readonly IOptions<GalleryOptions> _gallery;
    private readonly IFaceDetector _detector;
    private readonly IFaceEmbedder _embedder;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private FaceWatchPipeline? _pipeline;
    private GalleryWatcher? _watcher;

    public PipelineService(
        IServiceProvider services,
        IOptions<CamerasOptions> cameras,
        IOptions<DemoOptions> demo,
        IOptions<GalleryOptions> gallery,
        IFaceDetector detector,
        IFaceEmbedder embedder,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        _services = services;
        _cameras = cameras;
        _demo = demo;
        _gallery = gallery;
        _detector = detector;
        _embedder = embedder;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<PipelineService>();
    }

    /// <summary>The running pipeline (null before start), for tests and the bench.</summary>
    public FaceWatchPipeline? Pipeline => _pipeline;

    public GalleryWatcher? Gallery => _watcher;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var cameras = _cameras.Value.Items.ToList();
        var demo = cameras.Count == 0 && _demo.Value.Enabled;
        if (demo)
        {
            var source = DemoSource.FindClip(_demo.Value.Source);
            if (source is null)
            {
                LogNoDemo(_logger, DemoSource.Describe(_demo.Value.Source));
            }
            else
            {
                LogDemo(_logger, source);
                cameras.Add(new CameraOptions { Name = DemoCameraName, Source = source, Loop = true });
            }
        }

        _watcher = new GalleryWatcher(_gallery.Value.Path, DemoGallery.ModelOf(_embedder), _time, _loggers.CreateLogger<GalleryWatcher>());
        if (demo && string.IsNullOrWhiteSpace(_gallery.Value.Path) && DemoSource.FindGallery(_demo.Value.Gallery) is { } folder)
        {
            _watcher.Use(DemoGallery.Enroll(folder, _detector, _embedder, _time, _logger), folder);
        }
        else
        {
            _watcher.Load();
        }

        var settings = new PipelineSettings(
            cameras,
            Get<CaptureOptions>(),
            Get<PipelineOptions>(),
            Get<TrackingOptions>(),
            Get<RecognitionOptions>(),
            Get<IdentityOptions>())
        {
            Gating = Get<GatingOptions>(),
        };
        IFrameAnnotationSink[] sinks = [.. _services.GetServices<IFrameAnnotationSink>()];
        var stages = new PipelineStages(
            Get<IFrameSourceFactory>(),
            _detector,
            (frame, face) => FaceAligner.Align(frame, face.Landmarks, _embedder.InputSize),
            _embedder,
            _watcher,
            sinks);
        _pipeline = new FaceWatchPipeline(settings, stages, Get<IdentityEventHub>(), Get<CameraHealthRegistry>(), _time, _loggers);
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _pipeline?.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _pipeline is null ? Task.CompletedTask : _pipeline.RunAsync(stoppingToken);

    private T Get<T>()
        where T : class
    {
        var value = _services.GetService(typeof(T)) ?? _services.GetService(typeof(IOptions<T>)) switch
        {
            IOptions<T> options => options.Value,
            _ => null,
        };
        return value as T ?? throw new InvalidOperationException($"{typeof(T).Name} is not registered.");
    }

    [LoggerMessage(310, LogLevel.Information, "No camera configured: playing the demo clip {Source} as camera 'demo' (configure Cameras to watch your own)")]
    private static partial void LogDemo(ILogger logger, string source);

    [LoggerMessage(311, LogLevel.Error, "No camera configured and no demo clip found ({Looked}): nothing to watch. Configure Cameras, or set Demo:Source")]
    private static partial void LogNoDemo(ILogger logger, string looked);
}
