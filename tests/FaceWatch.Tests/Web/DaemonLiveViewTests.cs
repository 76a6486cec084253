using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceWatch.Pipeline.LiveView;
using OpenCvSharp;
using Xunit.Abstractions;

using FaceWatch.Pipeline.Identification;
using FaceWatch.Tests.Infrastructure;
namespace FaceWatch.Tests.Web;

/// <summary>
/// End to end with the real executable: <c>facewatch enroll</c> builds a gallery from <c>faces/hamilton-gallery</c>,
/// then <c>facewatch run --show</c> watches the Hamilton clip as a file camera with the web view on, on a private
/// Xvfb display. Chromium loads the page, the display shows the overlay window, <c>/healthz</c> and <c>/metrics</c>
/// report the real pipeline, and SIGTERM stops it cleanly (exit 0).
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class DaemonLiveViewTests(ITestOutputHelper output)
{
    private static readonly string Exe = Path.Combine(AppContext.BaseDirectory, "facewatch");

    [Fact]
    public async Task Run_with_web_and_windows_shows_the_identified_performer_then_stops_cleanly_on_SIGTERM()
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-web-e2e-");
        using var xvfb = await PrivateXvfb.StartAsync();
        Process? daemon = null;
        var log = new StringBuilder();
        try
        {
            // The one-shot Hamilton gallery plus four more people, so the SVM has several classes (as in the daemon tests).
            var people = Path.Combine(dir.FullName, "people");
            CopyDir(TestPaths.Data("faces", "hamilton-gallery"), people);
            foreach (var person in new[] { "alex_lacamoire", "biden", "kit_harington", "rose_leslie" })
            {
                CopyDir(TestPaths.Data("faces", "knn", "train", person), Path.Combine(people, person));
            }

            var gallery = Path.Combine(dir.FullName, "gallery.json");
            var (code, stdout, stderr) = await ExternalTools.RunAsync(
                Exe, ["enroll", people, "--gallery", gallery], TimeSpan.FromMinutes(3), ModelsEnv());
            Assert.True(code == 0 && File.Exists(gallery), $"facewatch enroll failed ({code}): {stdout} {stderr}");

            var port = ExternalTools.FreeTcpPort();
            var baseUrl = $"http://127.0.0.1:{port}";
            var config = Path.Combine(dir.FullName, "facewatch.json");
            var snapshots = Path.Combine(dir.FullName, "snapshots");
            await File.WriteAllTextAsync(config, new JsonObject
            {
                ["Cameras"] = new JsonArray(new JsonObject
                {
                    ["Name"] = "stage",
                    ["Source"] = TestPaths.Data("video", "short_hamilton_clip.mp4"),
                    ["Loop"] = true,
                }),
                ["Gallery"] = new JsonObject { ["Path"] = gallery },
                ["Web"] = new JsonObject { ["Enabled"] = true, ["Urls"] = baseUrl },
                ["Snapshots"] = new JsonObject { ["Enabled"] = true, ["Folder"] = snapshots, ["RetentionDays"] = 1, ["MaxCount"] = 50 },
            }.ToJsonString());

            daemon = StartDaemon(["run", "--show", "--config", config], new Dictionary<string, string> { ["DISPLAY"] = xvfb.Name }, log);
            using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(10) };
            await WaitForAsync(async () => await StatusAsync(http, "/healthz") == HttpStatusCode.OK, TimeSpan.FromSeconds(90), daemon, log, "healthz 200");

            // /healthz: the camera, the provider, model hashes and the enrolled gallery.
            var health = JsonDocument.Parse(await http.GetStringAsync("/healthz")).RootElement;
            output.WriteLine("healthz: " + health);
            var stage = health.GetProperty("cameras").EnumerateArray().Single();
            Assert.Equal("stage", stage.GetProperty("name").GetString());
            Assert.True(stage.GetProperty("online").GetBoolean());
            Assert.StartsWith("CPU", health.GetProperty("provider").GetString(), StringComparison.Ordinal);
            Assert.Equal(4, health.GetProperty("modelHashes").EnumerateObject().Count());
            Assert.Equal(6, health.GetProperty("galleryPeople").GetInt32());

            // The performer gets identified (events reach the web view through the hub).
            await WaitForAsync(
                async () => (await http.GetStringAsync("/api/events")).Contains("\"name\":\"lin_manuel_miranda\"", StringComparison.Ordinal),
                TimeSpan.FromSeconds(90), daemon, log, "an event naming lin_manuel_miranda");

            // Where the detector looked: full scans (start, cuts) and region scans (tracked faces) on the stage clip.
            var load = JsonDocument.Parse(await http.GetStringAsync("/healthz")).RootElement.GetProperty("cameras")[0].GetProperty("detection");
            output.WriteLine("detection load: " + load);
            Assert.True(load.GetProperty("fullScans").GetInt64() >= 1, "no full scan");
            Assert.True(load.GetProperty("regionScans").GetInt64() >= 1, "no region scan: tracked faces were not re-found on their boxes");
            Assert.InRange(load.GetProperty("detectorMs").GetDouble(), 0.01, 5000);
            Assert.InRange(load.GetProperty("motionShare").GetDouble(), 0, 1);

            // A real browser: the tile decodes the MJPEG stream and the page lists the identity.
            await using (var browser = await ChromiumSession.StartAsync())
            {
                await browser.NavigateAsync(baseUrl + "/");
                Assert.True(await browser.WaitForAsync("document.querySelector('.tile img')?.dataset.decoded === '1'", TimeSpan.FromSeconds(30)), "the tile's image never decoded");
                Assert.Equal(640, (await browser.EvaluateAsync("document.querySelector('.tile[data-camera=\"stage\"] img').naturalWidth"))!.GetValue<int>());
                Assert.True(
                    await browser.WaitForAsync("[...document.querySelectorAll('#events li')].some(li => li.textContent.includes('lin_manuel_miranda'))", TimeSpan.FromSeconds(10)),
                    "the page's event list does not name the performer");
                var identity = (await browser.EvaluateAsync("document.querySelector('.tile .identity').textContent"))!.GetValue<string>();
                output.WriteLine($"tile identity: {identity}");
                Assert.Matches(@"^\S+ \(\d\.\d\d\)$", identity);
                var png = Path.Combine(Path.GetTempPath(), "facewatch-web-e2e.png");
                await browser.ScreenshotAsync(png);
                output.WriteLine($"browser screenshot: {png}");
            }

            // The overlay window on the Xvfb display: a window named after the camera with drawn boxes.
            var (found, windowId, _) = await xvfb.XdotoolAsync("search", "--onlyvisible", "--name", "^stage$");
            Assert.True(found == 0, "no visible overlay window 'stage'");
            var shot = Path.Combine(Path.GetTempPath(), "facewatch-overlay-e2e.png");
            var boxPixels = 0;
            var clock = Stopwatch.StartNew();
            while (boxPixels < 150 && clock.Elapsed < TimeSpan.FromSeconds(40))
            {
                await xvfb.ScreenshotAsync(shot);
                using var image = Cv2.ImRead(shot);
                using var window = new Mat(image, new Rect(0, 0, 640, 360));
                // Any decided track's box: green (known) or orange-red (unknown), exact colours no video frame has in bulk.
                boxPixels = Math.Max(
                    WebLiveViewTests.CountPixels(window, OverlayRenderer.KnownColor, OverlayRenderer.KnownColor),
                    WebLiveViewTests.CountPixels(window, OverlayRenderer.UnknownColor, OverlayRenderer.UnknownColor));
            }

            output.WriteLine($"overlay screenshot: {shot} ({boxPixels} box pixels, window {windowId.Trim()})");
            Assert.True(boxPixels >= 150, "the overlay window shows no drawn box");

            // /metrics: the real pipeline's instruments.
            var metrics = await http.GetStringAsync("/metrics");
            Assert.Matches("(?m)^facewatch_frames_read_total\\{.*camera=\"stage\".*\\} [1-9]", metrics);
            Assert.Matches("(?m)^facewatch_detection_duration_milliseconds_count\\{.*\\} [1-9]", metrics);
            Assert.Matches("(?m)^facewatch_embedding_duration_milliseconds_count\\{.*\\} [1-9]", metrics);
            Assert.Matches("(?m)^facewatch_events_total\\{.*type=\"arrived\".*\\} [1-9]", metrics);
            Assert.Matches("(?m)^facewatch_queue_depth\\{.*queue=\"frames:stage\".*\\} \\d", metrics);
            Assert.Matches("(?m)^facewatch_detection_full_scans_total\\{.*camera=\"stage\".*\\} [1-9]", metrics);
            Assert.Matches("(?m)^facewatch_detection_region_scans_total\\{.*camera=\"stage\".*\\} [1-9]", metrics);
            Assert.Matches("(?m)^facewatch_detection_still_frames_total\\{.*camera=\"stage\".*\\} \\d", metrics);
            Assert.Matches("(?m)^facewatch_detection_frame_time_milliseconds\\{.*camera=\"stage\".*\\} [0-9.]*[1-9]", metrics);
            Assert.Matches("(?m)^facewatch_detection_motion_share(_ratio)?\\{.*camera=\"stage\".*\\} ", metrics);
            Assert.Matches("(?m)^facewatch_overlay_draw_duration_milliseconds_count\\{.*target=\"window\".*\\} [1-9]", metrics);

            // SIGTERM (what systemd sends): a clean stop within the host's budget, exit code 0.
            var stopClock = Stopwatch.StartNew();
            Assert.Equal(0, Kill(daemon.Id, SigTerm));
            using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await daemon.WaitForExitAsync(stopTimeout.Token);
            output.WriteLine($"stopped in {stopClock.Elapsed.TotalSeconds:0.0} s with exit code {daemon.ExitCode}");
            Assert.Equal(0, daemon.ExitCode);
            Assert.Contains("Overlay windows:", log.ToString(), StringComparison.Ordinal);

            // Snapshots (on in this config): a face crop of the named performer, decodable, under the camera's folder.
            var crops = Directory.GetFiles(Path.Combine(snapshots, "stage"), "*_lin_manuel_miranda_*.jpg");
            output.WriteLine($"snapshots: {string.Join(", ", Directory.GetFiles(snapshots, "*.jpg", SearchOption.AllDirectories).Select(Path.GetFileName))}");
            Assert.NotEmpty(crops);
            using var crop = Cv2.ImRead(crops[0]);
            Assert.InRange(crop.Width, 20, 640);
        }
        finally
        {
            if (daemon is { HasExited: false })
            {
                daemon.Kill(entireProcessTree: true);
            }

            daemon?.Dispose();
            output.WriteLine(Tail(log.ToString(), 40));
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Run_fails_at_start_naming_Web_Token_when_bound_to_all_interfaces_without_one()
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-web-token-");
        try
        {
            var config = Path.Combine(dir.FullName, "facewatch.json");
            await File.WriteAllTextAsync(config, """{ "Web": { "Enabled": true, "Urls": "http://0.0.0.0:18089" } }""");
            var (code, stdout, stderr) = await ExternalTools.RunAsync(Exe, ["run", "--config", config], TimeSpan.FromMinutes(2), ModelsEnv());
            output.WriteLine(stdout + stderr);
            Assert.Equal(78, code);
            Assert.Contains("Web:Token is required", stderr, StringComparison.Ordinal);
            Assert.Contains("0.0.0.0", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Run_exits_78_naming_the_address_when_the_web_port_is_taken()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var env = ModelsEnv();
        env["FACEWATCH_Web__Enabled"] = "true";
        env["FACEWATCH_Web__Urls"] = $"http://127.0.0.1:{port}";
        var (code, stdout, stderr) = await ExternalTools.RunAsync(Exe, ["run"], TimeSpan.FromMinutes(2), env);
        output.WriteLine(stdout + stderr);
        Assert.Equal(78, code);
        Assert.Contains($"127.0.0.1:{port}", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Pipeline started", stdout, StringComparison.Ordinal);
    }

    private static void CopyDir(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static Dictionary<string, string> ModelsEnv() => new() { ["FACEWATCH_Models__Dir"] = TestPaths.ModelsDir };

    private static Process StartDaemon(string[] args, Dictionary<string, string> env, StringBuilder log)
    {
        var psi = new ProcessStartInfo(Exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in ModelsEnv().Concat(env))
        {
            psi.Environment[k] = v;
        }

        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, Process daemon, StringBuilder log, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (daemon.HasExited)
            {
                Assert.Fail($"facewatch run exited ({daemon.ExitCode}) while waiting for {what}:\n{Tail(log.ToString(), 30)}");
            }

            Assert.True(clock.Elapsed < timeout, $"no {what} within {timeout}:\n{Tail(log.ToString(), 30)}");
            await Task.Delay(500);
        }
    }

    private static string Tail(string text, int lines) =>
        string.Join('\n', text.Split('\n').TakeLast(lines));

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>An Xvfb this test starts and stops (the daemon is a child process, so no -terminate games).</summary>
    private sealed class PrivateXvfb : IDisposable
    {
        private readonly Process _process;

        private PrivateXvfb(Process process, string name)
        {
            _process = process;
            Name = name;
        }

        public string Name { get; }

        public static async Task<PrivateXvfb> StartAsync()
        {
            var xvfb = ExternalTools.Require("Xvfb", "xvfb");
            for (var n = 200 + Random.Shared.Next(200); n < 600; n++)
            {
                if (File.Exists($"/tmp/.X{n}-lock") || File.Exists($"/tmp/.X11-unix/X{n}"))
                {
                    continue;
                }

                var process = Process.Start(new ProcessStartInfo(xvfb, [$":{n}", "-screen", "0", "1280x720x24", "-nolisten", "tcp"])
                {
                    UseShellExecute = false,
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                })!;
                process.BeginErrorReadLine();
                process.BeginOutputReadLine();
                var clock = Stopwatch.StartNew();
                while (!File.Exists($"/tmp/.X11-unix/X{n}") && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(50);
                }

                if (!process.HasExited && File.Exists($"/tmp/.X11-unix/X{n}"))
                {
                    return new PrivateXvfb(process, ":" + n.ToString(CultureInfo.InvariantCulture));
                }

                if (!process.HasExited)
                {
                    process.Kill();
                }

                process.Dispose();
            }

            throw new InvalidOperationException("no free display for Xvfb");
        }

        public Task<(int ExitCode, string StdOut, string StdErr)> XdotoolAsync(params string[] args) =>
            ExternalTools.RunAsync(ExternalTools.Require("xdotool", "xdotool"), args, TimeSpan.FromSeconds(20), new Dictionary<string, string> { ["DISPLAY"] = Name });

        public async Task ScreenshotAsync(string png)
        {
            var xwd = Path.ChangeExtension(png, ".xwd");
            var (code, _, err) = await ExternalTools.RunAsync("xwd", ["-root", "-silent", "-display", Name, "-out", xwd], TimeSpan.FromSeconds(20));
            Assert.True(code == 0, $"xwd failed: {err}");
            (code, _, err) = await ExternalTools.RunAsync("convert", [xwd, png], TimeSpan.FromSeconds(30));
            Assert.True(code == 0, $"convert failed: {err}");
            File.Delete(xwd);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }

            _process.Dispose();
        }
    }
}
