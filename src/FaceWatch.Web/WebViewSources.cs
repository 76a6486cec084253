using FaceWatch.Core.Health;

namespace FaceWatch.Web;

/// <summary>
/// Everything the web view reads, from the daemon's container: what crosses into the web app's own container
/// (<see cref="WebLiveViewServer"/>), where each endpoint takes just the parts it needs.
/// </summary>
public sealed record WebViewSources(
    WebFrameSink Frames,
    CameraHealthRegistry Cameras,
    RecentEvents Events,
    HealthReporter Health,
    TimeProvider Time);
