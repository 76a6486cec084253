using System.Collections.Concurrent;
using System.Diagnostics;
using FaceWatch.Commands;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Health;
namespace FaceWatch.Tests.Pipeline.Capture;

/// <summary>
/// Camera secrets never reach a child's command line: the real ffprobe and ffmpeg children read a real RTSP stream
/// (and an HTTP MJPEG stream with a Basic-auth header) while every process's <c>/proc/PID/cmdline</c> is watched.
/// </summary>
[Collection(RealTimeCollection.Name)]
[Trait("Category", "Slow")]
public sealed class FfmpegSecretTests : IDisposable
{
    private static readonly string Clip = TestPaths.Data("video", "short_hamilton_clip.mp4");

    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-ffmpeg-secret-").FullName;
    private readonly string _secret = "Pw" + Guid.NewGuid().ToString("N")[..16];
    private readonly CollectingLoggerProvider _logs = new();
    private readonly List<Process> _processes = [];

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

        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A wrapper that logs its arguments (the child's command line, as ps shows it) and runs the real tool.</summary>
    private string Wrapper(string tool)
    {
        var path = Path.Combine(_dir, tool + "-wrapper.sh");
        File.WriteAllText(path, $"#!/bin/sh\necho \"{tool} $*\" >> '{Path.Combine(_dir, "argv.log")}'\nexec {tool} \"$@\"\n");
        Cli.Tool("chmod", "700", path);
        return path;
    }

    /// <summary>Watches the command line of every process on the machine until cancelled; returns those of ffmpeg/ffprobe children and any that hold the secret.</summary>
    private static async Task<(List<string> Children, List<string> Leaks)> WatchAsync(string secret, string marker, TaskCompletionSource scanned, CancellationToken ct)
    {
        // Every command line seen, not one per pid: the wrapper's pid becomes ffmpeg at exec, and a scan that first met
        // it as "/bin/sh ...-wrapper.sh" must still record it as ffmpeg.
        var children = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var leaks = new List<string>();
        while (!ct.IsCancellationRequested)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid))
                {
                    continue;
                }

                string cmdline;
                try
                {
                    cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue; // exited meanwhile
                }

                if (cmdline.Contains(secret, StringComparison.Ordinal))
                {
                    leaks.Add($"{pid}: {cmdline}");
                }

                if (cmdline.Contains(marker, StringComparison.Ordinal) || (cmdline.StartsWith("ff", StringComparison.Ordinal) && cmdline.Contains("pipe:0", StringComparison.Ordinal)))
                {
                    children.TryAdd(cmdline, pid);
                }
            }

            scanned.TrySetResult();
            try
            {
                await Task.Delay(10, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return ([.. children.Keys], leaks);
    }

    private static void ReadFrames(FfmpegFrameSource source, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var frame = source.Read(CancellationToken.None);
            if (frame is null)
            {
                Assert.Fail($"frame {i}: {source.DescribeEnd()}");
            }

            Assert.Equal((640, 360), (frame.Width, frame.Height));
        }
    }

    [Fact]
    public async Task An_rtsp_password_is_on_no_command_line_of_ffprobe_or_ffmpeg()
    {
        await using var server = await RtspClipServer.StartAsync(Clip);
        var url = server.Url.Replace("rtsp://", $"rtsp://admin:{_secret}@", StringComparison.Ordinal);
        var capture = new CaptureOptions { Ffmpeg = Wrapper("ffmpeg"), Ffprobe = Wrapper("ffprobe"), ProbeTimeoutSeconds = 20 };
        using var source = new FfmpegFrameSource(new CameraOptions { Name = "door", Source = url }, capture, _logs.CreateLogger("capture"));
        using var stop = new CancellationTokenSource();
        var scanned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = Task.Run(() => WatchAsync(_secret, "-wrapper.sh", scanned, stop.Token));
        await scanned.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await Task.Run(() =>
        {
            source.Open(CancellationToken.None); // ffprobe for the size, then ffmpeg
            ReadFrames(source, 30);
        });
        await stop.CancelAsync();
        var (children, leaks) = await watch;

        Assert.True(leaks.Count == 0, "secret on a command line: " + string.Join(" | ", leaks));
        var argv = File.ReadAllLines(Path.Combine(_dir, "argv.log"));
        Assert.Contains(argv, l => l.StartsWith("ffprobe ", StringComparison.Ordinal) && l.EndsWith("pipe:0", StringComparison.Ordinal));
        Assert.Contains(argv, l => l.StartsWith("ffmpeg ", StringComparison.Ordinal) && l.Contains("-i pipe:0", StringComparison.Ordinal));
        Assert.DoesNotContain(argv, l => l.Contains(_secret, StringComparison.Ordinal) || l.Contains("rtsp://", StringComparison.Ordinal));
        Assert.Contains(children, c => c.StartsWith("ffmpeg", StringComparison.Ordinal)); // the watch did see the running child
        Assert.DoesNotContain(_logs.Lines, l => l.Message.Contains(_secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_basic_auth_header_and_an_http_password_are_on_no_command_line()
    {
        var port = RtspClipServer.FreePort();
        Spawn("ffmpeg", "-v", "error", "-re", "-stream_loop", "-1", "-i", Clip, "-an", "-f", "mpjpeg", "-q:v", "5", "-listen", "1", $"http://127.0.0.1:{port}/x.mjpg");
        await WaitForPortAsync(port);
        var header = "Authorization: Basic " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("viewer:" + _secret));
        var camera = new CameraOptions
        {
            Name = "hall",
            Source = $"http://viewer:{_secret}@127.0.0.1:{port}/x.mjpg",
            Width = 640,
            Height = 360,
            InputArgs = ["-headers", header + "\r\n"],
        };
        var capture = new CaptureOptions { Ffmpeg = Wrapper("ffmpeg") };
        using var source = new FfmpegFrameSource(camera, capture, _logs.CreateLogger("capture"));
        Assert.True(source.UsesPrivateInput);
        using var stop = new CancellationTokenSource();
        var scanned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = Task.Run(() => WatchAsync(_secret, "-wrapper.sh", scanned, stop.Token));
        await scanned.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await Task.Run(() =>
        {
            source.Open(CancellationToken.None);
            ReadFrames(source, 30);
        });
        await stop.CancelAsync();
        var (children, leaks) = await watch;

        var base64 = header["Authorization: Basic ".Length..];
        Assert.True(leaks.Count == 0, "secret on a command line: " + string.Join(" | ", leaks));
        Assert.DoesNotContain(children, c => c.Contains(base64, StringComparison.Ordinal));
        var argv = File.ReadAllText(Path.Combine(_dir, "argv.log"));
        Assert.DoesNotContain(base64, argv, StringComparison.Ordinal);
        Assert.DoesNotContain(_secret, argv, StringComparison.Ordinal);
        Assert.Contains(children, c => c.StartsWith("ffmpeg", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_camera_whose_frames_exceed_the_pixel_limit_is_refused_naming_the_camera()
    {
        await using var server = await RtspClipServer.StartAsync(Clip);
        var capture = new CaptureOptions { MaxFramePixels = 100_000, ReconnectBaseSeconds = 0.2, ReconnectMaxSeconds = 1 };
        var health = new CameraHealthRegistry();
        var stats = new CameraStats();
        using var queue = new DropOldestQueue<Frame>(2, singleWriter: true, _ => stats.OnDropped());
        var factory = new FrameSourceFactory(Options.Create(capture), TimeProvider.System, _logs);
        foreach (var camera in new[]
        {
            new CameraOptions { Name = "big_rtsp", Source = server.Url },
            new CameraOptions { Name = "big_file", Source = Clip },
        })
        {
            var reader = new CameraReader(camera, capture, factory, queue, stats, health, TimeProvider.System, _logs.CreateLogger("capture"));
            using var cts = new CancellationTokenSource();
            var run = Task.Run(() => reader.RunAsync(cts.Token));
            var deadline = Stopwatch.StartNew();
            while (!_logs.Lines.Any(l => l.Message.Contains($"Camera {camera.Name} offline", StringComparison.Ordinal)) && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }

            await cts.CancelAsync();
            await run;
            var line = Assert.Single(_logs.Lines, l => l.Message.Contains($"Camera {camera.Name} offline", StringComparison.Ordinal));
            Assert.Contains("frames of 640x360 = 230,400 pixels", line.Message, StringComparison.Ordinal);
            Assert.Contains("over the limit of 100,000 pixels (Capture:MaxFramePixels)", line.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, stats.Captured);
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

    /// <summary>Waits until something listens on the port, without connecting (ffmpeg's -listen 1 serves one connection only).</summary>
    /// <summary>Waits until something listens on the port, without connecting (ffmpeg's -listen 1 serves one connection only).</summary>
    private static async Task WaitForPortAsync(int port)
    {
        var local = $"0100007F:{port:X4}";
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (File.ReadLines("/proc/net/tcp").Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Any(f => f.Length > 3 && f[1] == local && f[3] == "0A"))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"nothing listens on port {port}");
    }
}
