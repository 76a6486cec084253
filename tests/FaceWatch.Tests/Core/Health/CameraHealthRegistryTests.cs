using FaceWatch.Pipeline.Capture;

using FaceWatch.Core.Health;
namespace FaceWatch.Tests.Core.Health;

public class CameraHealthRegistryTests
{
    [Fact]
    public void Frame_counters_are_read_live_from_the_attached_stats_not_from_the_last_report()
    {
        var registry = new CameraHealthRegistry();
        var stats = new CameraStats();
        registry.Attach("door", stats);
        registry.Report(new CameraHealth("door", Online: true, FramesRead: 0, FramesDropped: 0, Reconnects: 0, ProcessedFps: 0, LastError: null, DateTimeOffset.UnixEpoch));

        for (var i = 0; i < 7; i++)
        {
            stats.OnCaptured();
        }

        stats.OnDropped();

        var door = Assert.Single(registry.Snapshot());
        Assert.Equal(7, door.FramesRead);
        Assert.Equal(1, door.FramesDropped);
        Assert.True(door.Online);
        Assert.Equal(7, registry.Get("door")!.FramesRead);
    }

    [Fact]
    public void A_camera_without_attached_stats_reports_what_was_last_stored()
    {
        var registry = new CameraHealthRegistry();
        registry.Report(new CameraHealth("yard", Online: false, FramesRead: 12, FramesDropped: 3, Reconnects: 2, ProcessedFps: 0, LastError: "gone", DateTimeOffset.UnixEpoch));

        var yard = Assert.Single(registry.Snapshot());
        Assert.Equal(12, yard.FramesRead);
        Assert.Equal(3, yard.FramesDropped);
        Assert.Null(registry.Get("porch"));
    }
}
