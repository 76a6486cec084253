namespace FaceWatch.Pipeline.Publishing;

/// <summary>
/// The camera names the daemon is configured with. Optional: when registered, the publisher announces
/// every camera to Home Assistant at connect (before it reports) and removes discovery configs of cameras
/// that are no longer configured. Without it, cameras are announced when they first report and nothing is removed.
/// </summary>
public interface IConfiguredCameras
{
    IReadOnlyCollection<string> Names { get; }
}

/// <summary>A fixed list of configured cameras.</summary>
public sealed record ConfiguredCameras(IReadOnlyCollection<string> Names) : IConfiguredCameras;
