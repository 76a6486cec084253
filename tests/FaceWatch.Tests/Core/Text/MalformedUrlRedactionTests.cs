using System.Diagnostics;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Health;
using FaceWatch.Core.Text;
namespace FaceWatch.Tests.Core.Text;

/// <summary>
/// Credentials are masked in anything shaped like a URL or user-info, whatever the scheme parser made of it: a
/// one-slash typo is a file path to the source classifier, and its password must still not reach a log line or the
/// health report.
/// </summary>
public sealed class MalformedUrlRedactionTests
{
    [Theory]
    [InlineData("rtsp:/admin:hunter2@10.0.0.5/live", "rtsp:/admin:***@10.0.0.5/live")]
    [InlineData("rtsp:admin:hunter2@10.0.0.5/live", "rtsp:admin:***@10.0.0.5/live")]
    [InlineData("admin:hunter2@10.0.0.5/live", "admin:***@10.0.0.5/live")]
    [InlineData("rtsp:///admin:hunter2@10.0.0.5/live", "rtsp:///admin:***@10.0.0.5/live")]
    [InlineData("file '/srv/cams/rtsp:/admin:hun'ter2@host' does not exist", "file '/srv/cams/rtsp:/admin:***@host' does not exist")]
    [InlineData("RTSP://Admin:p@ss@cam/x", "RTSP://Admin:***@cam/x")]
    [InlineData("alice@example.com at 10:30", "alice@example.com at 10:30")]
    public void Masks_the_password_of_malformed_urls(string input, string expected) => Assert.Equal(expected, UrlRedactor.Redact(input));

    [Fact]
    public async Task A_one_slash_typo_read_as_a_file_keeps_its_password_out_of_logs_and_health()
    {
        var logs = new CollectingLoggerProvider();
        var health = new CameraHealthRegistry();
        var stats = new CameraStats();
        var capture = new CaptureOptions { ReconnectBaseSeconds = 0.2, ReconnectMaxSeconds = 1 };
        var camera = new CameraOptions { Name = "door", Source = "rtsp:/admin:hunter2@192.0.2.10/stream1" };
        Assert.Equal(SourceKind.File, SourceClassifier.Classify(camera.Source));
        using var queue = new DropOldestQueue<Frame>(2, singleWriter: true, _ => stats.OnDropped());
        var factory = new FrameSourceFactory(Options.Create(capture), TimeProvider.System, logs);
        var reader = new CameraReader(camera, capture, factory, queue, stats, health, TimeProvider.System, logs.CreateLogger("capture"));
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => reader.RunAsync(cts.Token));
        var clock = Stopwatch.StartNew();
        while (health.Get("door")?.LastError is null && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        await cts.CancelAsync();
        await run;

        var error = health.Get("door")?.LastError;
        Assert.NotNull(error);
        Assert.Contains("rtsp:/admin:***@192.0.2.10", error, StringComparison.Ordinal);
        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(logs.Lines, l => l.Message.Contains("hunter2", StringComparison.Ordinal));
        Assert.DoesNotContain("hunter2", System.Text.Json.JsonSerializer.Serialize(health.Snapshot()), StringComparison.Ordinal);
    }
}
