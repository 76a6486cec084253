using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Workers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using FaceWatch.Pipeline.Identification;
namespace FaceWatch.Hosting;

/// <summary>
/// The daemon's worker: loads the gallery (or enrolls the demo gallery), then runs <see cref="FaceWatchPipeline"/> until
/// stopped. Start fails on an unusable gallery; a crashed stage makes <see cref="BackgroundService.ExecuteTask"/> fault,
/// which stops the host with a non-zero exit code. Everything it runs is composed by <see cref="PipelineHosting"/>.
/// </summary>
public sealed class PipelineService(
    FaceWatchPipeline pipeline,
    GalleryWatcher gallery,
    DemoGalleryLoader demo,
    ILogger<PipelineService> logger) : BackgroundService
{
    public const string DemoCameraName = DaemonCameras.DemoCameraName;

    /// <summary>The running pipeline, for tests and the bench.</summary>
    public FaceWatchPipeline Pipeline => pipeline;

    public GalleryWatcher Gallery => gallery;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!demo.TryUse(gallery, logger))
        {
            gallery.Load();
        }

        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => pipeline.RunAsync(stoppingToken);
}

/// <summary>In demo mode without <c>Gallery:Path</c>, the demo gallery folder is enrolled in memory at start.</summary>
public sealed class DemoGalleryLoader(
    DaemonCameras cameras, IOptions<DemoOptions> demo, IOptions<GalleryOptions> gallery, IFaceDetector detector, IFaceEmbedder embedder, TimeProvider time)
{
    public bool TryUse(GalleryWatcher watcher, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        if (!cameras.IsDemo || !string.IsNullOrWhiteSpace(gallery.Value.Path) || DemoSource.FindGallery(demo.Value.Gallery) is not { } folder)
        {
            return false;
        }

        watcher.Use(DemoGallery.Enroll(folder, detector, embedder, time, logger), folder);
        return true;
    }
}
