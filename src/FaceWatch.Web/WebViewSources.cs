using FaceWatch.Core.Health;
using FaceWatch.Hosting.Strangers;
using FaceWatch.Pipeline.Workers;

namespace FaceWatch.Web;

/// <summary>
/// Everything the web view reads, from the daemon's container: what crosses into the web app's own container
/// (<see cref="WebLiveViewServer"/>), where each endpoint takes just the parts it needs. <see cref="Strangers"/> is null
/// in a host without the pipeline (the review then answers "disabled").
/// </summary>
public sealed record WebViewSources(
    WebFrameSink Frames,
    CameraHealthRegistry Cameras,
    RecentEvents Events,
    HealthReporter Health,
    TimeProvider Time,
    StrangerActions? Strangers = null)
{
    /// <summary>The daemon's gallery, for the write endpoints (<c>reject</c>); null in a web-only host.</summary>
    public GalleryWatcher? Gallery { get; init; }
}
