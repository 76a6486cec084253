using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Publishing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting;

/// <summary>
/// The cameras this daemon watches: the configured ones, or the demo clip as camera <c>demo</c> when none is configured
/// (and <c>Demo:Enabled</c>). Decided once; the pipeline runs them and MQTT announces their names.
/// </summary>
public sealed partial class DaemonCameras : IConfiguredCameras
{
    public const string DemoCameraName = "demo";

    public DaemonCameras(IOptions<CamerasOptions> cameras, IOptions<DemoOptions> demo, ILogger<DaemonCameras> logger)
    {
        ArgumentNullException.ThrowIfNull(cameras);
        ArgumentNullException.ThrowIfNull(demo);
        var items = cameras.Value.Items.ToList();
        IsDemo = items.Count == 0 && demo.Value.Enabled;
        if (IsDemo)
        {
            if (DemoSource.FindClip(demo.Value.Source) is { } source)
            {
                LogDemo(logger, source);
                items.Add(new CameraOptions { Name = DemoCameraName, Source = source, Loop = true });
            }
            else
            {
                LogNoDemo(logger, DemoSource.Describe(demo.Value.Source));
            }
        }

        Cameras = items;
        // The demo's name is announced even when its clip is missing: it is the camera the user was promised.
        Names = IsDemo ? [DemoCameraName] : [.. items.Where(c => c.Enabled).Select(c => c.Name)];
    }

    /// <summary>No camera is configured and the demo plays (or would, had its clip been found).</summary>
    public bool IsDemo { get; }

    public IReadOnlyList<CameraOptions> Cameras { get; }

    public IReadOnlyCollection<string> Names { get; }

    [LoggerMessage(401, LogLevel.Information, "No camera configured: playing the demo clip {Source} as camera 'demo' (configure Cameras to watch your own)")]
    private static partial void LogDemo(ILogger logger, string source);

    [LoggerMessage(402, LogLevel.Error, "No camera configured and no demo clip found ({Looked}): nothing to watch. Configure Cameras, or set Demo:Source")]
    private static partial void LogNoDemo(ILogger logger, string looked);
}
