using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaceWatch.Commands;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Health;
namespace FaceWatch.Tests.Pipeline.Capture;

/// <summary>Real sources through the real reader: a file, an HTTP MJPEG server, and cameras that fail in different ways.</summary>
[Collection(RealTimeCollection.Name)]
[Trait("Category", "Slow")]
public sealed class CameraSourceTests : IDisposable
{
    private static readonly string Clip = TestPaths.Data("video", "short_hamilton_clip.mp4");

    private readonly CollectingLoggerProvider _logs = new();
    private readonly CameraHealthRegistry _health = new();
    private readonly List<Process> _processes = [];

    // Fast retries so a test sees several attempts in seconds; the production defaults are tested on a fake clock.
    private readonly CaptureOptions _capture = new() { ReconnectBaseSeconds = 0.2, ReconnectMaxSeconds = 1, ProbeTimeoutSeconds = 10 };

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }

            p.Dispose();
        }
    }

    [Fact]
    public async Task A_file_plays_at_its_own_frame_rate()
    {
        var (stats, queue, run, cts) = Start(new CameraOptions { Name = "file", Source = Clip, Loop = true });
        using (queue)
        using (cts)
        {
            await WaitUntilAsync(() => stats.Captured > 0, TimeSpan.FromSeconds(10));
            var clock = Stopwatch.StartNew();
            var start = stats.Captured;
            await Task.Delay(2000);
            var fps = (stats.Captured - start) / clock.Elapsed.TotalSeconds;
            Assert.InRange(fps, 22, 34); // 29.97 fps file, paced like a camera (not decoded as fast as possible)
            Assert.True(queue.Reader.TryRead(out var frame));
            using (frame)
            {
                Assert.Equal((640, 360), (frame.Image.Width, frame.Image.Height));
                Assert.Equal("file", frame.Camera);
            }

            await cts.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task An_http_mjpeg_stream_delivers_frames()
    {
        var port = RtspClipServer.FreePort();
        Spawn("ffmpeg", "-v", "error", "-re", "-stream_loop", "-1", "-i", Clip, "-an", "-f", "mpjpeg", "-q:v", "5", "-listen", "1", $"http://127.0.0.1:{port}/x.mjpg");
        await WaitForPortAsync(port);

        // Width/Height given: ffmpeg's -listen serves one client, so no separate probe connection.
        var (stats, queue, run, cts) = Start(new CameraOptions { Name = "mjpeg", Source = $"http://viewer:pa55@127.0.0.1:{port}/x.mjpg", Width = 640, Height = 360 });
        using (queue)
        using (cts)
        {
            await WaitUntilAsync(() => stats.Captured >= 30, TimeSpan.FromSeconds(20));
            Assert.True(_health.Get("mjpeg")?.Online);
            await cts.CancelAsync();
            await run;
        }

        Assert.DoesNotContain(_logs.Lines, l => l.Message.Contains("pa55", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_rtsp_stream_is_probed_for_its_size_and_delivers_frames()
    {
        await using var server = await RtspClipServer.StartAsync(Clip);
        var (stats, queue, run, cts) = Start(new CameraOptions { Name = "rtsp", Source = server.Url });
        using (queue)
        using (cts)
        {
            await WaitUntilAsync(() => stats.Captured >= 30, TimeSpan.FromSeconds(20));
            Assert.True(queue.Reader.TryRead(out var frame));
            using (frame)
            {
                Assert.Equal((640, 360), (frame.Image.Width, frame.Image.Height));
            }

            await cts.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task A_url_that_never_answers_logs_one_offline_line_and_keeps_retrying()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections, never says a word
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var (_, queue, run, cts) = Start(
            new CameraOptions { Name = "silent", Source = $"rtsp://admin:topsecret@127.0.0.1:{port}/x", StallSeconds = 3 },
            new CaptureOptions { ReconnectBaseSeconds = 0.2, ReconnectMaxSeconds = 1, ProbeTimeoutSeconds = 2 });
        using (queue)
        using (cts)
        {
            await WaitUntilAsync(() => _logs.WithEvent(103).Count() >= 3, TimeSpan.FromSeconds(30));
            await cts.CancelAsync();
            await run;
        }

        var offline = Assert.Single(_logs.WithEvent(101));
        Assert.Contains("Camera silent offline", offline.Message, StringComparison.Ordinal);
        Assert.Empty(_logs.WithEvent(100));
        Assert.DoesNotContain(_logs.Lines, l => l.Message.Contains("topsecret", StringComparison.Ordinal));
        Assert.False(_health.Get("silent")?.Online);
    }

    [Fact]
    public async Task A_missing_file_logs_one_clear_line_and_keeps_retrying()
    {
        var (_, queue, run, cts) = Start(new CameraOptions { Name = "nofile", Source = "/nonexistent/recording.mp4" });
        using (queue)
        using (cts)
        {
            await WaitUntilAsync(() => _logs.WithEvent(103).Count() >= 4, TimeSpan.FromSeconds(20));
            await cts.CancelAsync();
            await run;
        }

        var offline = Assert.Single(_logs.WithEvent(101));
        Assert.Contains("file '/nonexistent/recording.mp4' does not exist", offline.Message, StringComparison.Ordinal);
        Assert.Equal("file '/nonexistent/recording.mp4' does not exist", _health.Get("nofile")?.LastError);
    }

    [Fact]
    public async Task A_stream_that_stalls_without_closing_goes_offline_and_comes_back_when_it_resumes()
    {
        await using var server = await RtspClipServer.StartAsync(RtspClipServer.PrepareLoop(Clip, repeats: 30));
        var (stats, queue, run, cts) = Start(new CameraOptions { Name = "stall", Source = server.Url, StallSeconds = 3 });
        using (queue)
        using (cts)
        {
            await WaitUntilAsync(() => stats.Captured >= 10, TimeSpan.FromSeconds(20));
            var pid = server.ProcessId;
            Signal("STOP", pid); // the server freezes: TCP stays open, no more data
            try
            {
                await WaitUntilAsync(() => _logs.WithEvent(101).Any(), TimeSpan.FromSeconds(15));
                Assert.Contains("stalled: no frame for 3 s", _logs.WithEvent(101).Single().Message, StringComparison.Ordinal);
                await Task.Delay(3000); // several failed reconnects while frozen
            }
            finally
            {
                Signal("CONT", pid);
            }

            await WaitUntilAsync(() => _health.Get("stall")?.Online == true, TimeSpan.FromSeconds(20));
            await cts.CancelAsync();
            await run;
        }

        Assert.Single(_logs.WithEvent(101));
        Assert.Equal(2, _logs.WithEvent(100).Count());
    }

    private (CameraStats Stats, DropOldestQueue<Frame> Queue, Task Run, CancellationTokenSource Cts) Start(CameraOptions camera, CaptureOptions? capture = null)
    {
        capture ??= _capture;
        var stats = new CameraStats();
        var queue = new DropOldestQueue<Frame>(2, singleWriter: true, _ => stats.OnDropped());
        var factory = new FrameSourceFactory(Options.Create(capture), TimeProvider.System, _logs);
        var reader = new CameraReader(camera, capture, factory, queue, stats, _health, TimeProvider.System, _logs.CreateLogger("capture"));
        var cts = new CancellationTokenSource();
        return (stats, queue, Task.Run(() => reader.RunAsync(cts.Token)), cts);
    }

    private void Spawn(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        _ = process.StandardError.ReadToEndAsync();
        _processes.Add(process);
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    private static async Task WaitForPortAsync(int port)
    {
        // ffmpeg -listen opens its port after reading the input; poll without connecting (a connection would use up its one client).
        for (var i = 0; i < 100; i++)
        {
            if (System.Net.NetworkInformation.IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Any(e => e.Port == port))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"nothing listens on port {port}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"timed out after {timeout.TotalSeconds:0} s");
            await Task.Delay(50);
        }
    }
}
