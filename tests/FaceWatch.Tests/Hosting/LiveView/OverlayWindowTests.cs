using System.Globalization;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.LiveView;
using Microsoft.Extensions.Logging;
using OpenCvSharp;
using Xunit.Abstractions;

using FaceWatch.Core.Health;
using FaceWatch.Hosting.LiveView;
using FaceWatch.Tests.Infrastructure;
using FaceWatch.Tests.Web;
namespace FaceWatch.Tests.Hosting.LiveView;

/// <summary>Real OpenCV windows on a private Xvfb display, checked in a screenshot of the display.</summary>
[Trait("Category", "Slow")]
public sealed class OverlayWindowTests(ITestOutputHelper output)
{
    // Where the face is in images/obama-480p.jpg (853x480), read off the photo.
    private static readonly TrackOverlay Face = new(1, new Rect2f(378, 45, 130, 150), null, "barack_obama", true, 0.91);

    [Fact]
    public async Task Window_shows_the_face_box_in_its_colour_and_q_closes_only_that_window()
    {
        var display = XvfbDisplay.Instance;
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new TestOutputLoggerProvider(output)).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Debug));
        using var sink = new OverlayWindowSink(loggerFactory.CreateLogger<OverlayWindowSink>());
        using var door = Cv2.ImRead(TestPaths.Data("images", "obama-480p.jpg"));
        using var hall = Cv2.ImRead(TestPaths.Data("images", "obama_small.jpg"));
        var stranger = new TrackOverlay(2, new Rect2f(20, 20, 60, 60), null, "unknown", false, 0.2);

        using var stop = new CancellationTokenSource();
        var feeder = Task.Run(async () =>
        {
            long seq = 0;
            while (!stop.IsCancellationRequested)
            {
                seq++;
                using (var f = new Frame("door", seq, door.Clone(), DateTimeOffset.UtcNow, 0))
                {
                    sink.Post(f, [Face], new CameraHealth("door", true, seq, 0, 0, 20, null, DateTimeOffset.UtcNow));
                }

                using (var f = new Frame("hall", seq, hall.Clone(), DateTimeOffset.UtcNow, 0))
                {
                    sink.Post(f, [stranger], new CameraHealth("hall", true, seq, 2, 0, 20, null, DateTimeOffset.UtcNow));
                }

                await Task.Delay(50);
            }
        });

        try
        {
            // GTK must hold the display before any other X client comes and goes (Xvfb -terminate).
            await WebLiveViewTests.WaitUntilAsync(() => sink.FramesShown >= 10, TimeSpan.FromSeconds(20));
            var doorWindow = await WindowIdAsync(display, "door");
            var (x, y) = await WindowPositionAsync(display, doorWindow);
            output.WriteLine($"door window {doorWindow} at {x},{y}");

            var png = Path.Combine(Path.GetTempPath(), "facewatch-overlay-window.png");
            await display.ScreenshotAsync(png);
            output.WriteLine($"screenshot: {png}");
            using var shot = Cv2.ImRead(png);
            var box = new Rect(x + 378, y + 45, 130, 150);
            // Left and bottom edges are KnownColor (pure green) in the window, the middle of the face is not.
            AssertColor(shot, box.X, box.Y + (box.Height / 2), OverlayRenderer.KnownColor);
            AssertColor(shot, box.X + (box.Width / 2), box.Bottom - 1, OverlayRenderer.KnownColor);
            AssertColor(shot, box.Right - 1, box.Y + (box.Height / 2), OverlayRenderer.KnownColor);
            var centre = shot.At<Vec3b>(box.Y + (box.Height / 2), box.X + (box.Width / 2));
            Assert.False(centre.Item1 == 255 && centre.Item0 == 0, "the face itself is green: the box was filled?");
            Assert.True(WebLiveViewTests.CountPixels(shot, new Scalar(0, 64, 255), new Scalar(0, 64, 255)) > 100, "no unknown-coloured box (hall window) on the display");

            // A collection before the mouse moves: a mouse callback delegate that was not kept alive would crash here.
            GC.Collect();
            GC.WaitForPendingFinalizers();

            // q over the door window closes it; the hall window stays.
            Assert.Equal(0, (await display.XdotoolAsync("mousemove", "--window", doorWindow, "20", "20")).ExitCode);
            await Task.Delay(300);
            Assert.Equal(0, (await display.XdotoolAsync("key", "q")).ExitCode);
            await WebLiveViewTests.WaitUntilAsync(() => sink.ClosedWindows.Contains("door"), TimeSpan.FromSeconds(10));
            Assert.DoesNotContain("hall", sink.ClosedWindows);
            await Task.Delay(500);
            Assert.NotEqual(0, (await display.XdotoolAsync("search", "--onlyvisible", "--name", "^door$")).ExitCode);
            Assert.Equal(0, (await display.XdotoolAsync("search", "--onlyvisible", "--name", "^hall$")).ExitCode);
            var shownBefore = sink.FramesShown;
            await WebLiveViewTests.WaitUntilAsync(() => sink.FramesShown > shownBefore + 5, TimeSpan.FromSeconds(10));
        }
        finally
        {
            await stop.CancelAsync();
            await feeder;
            await sink.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<string> WindowIdAsync(XvfbDisplay display, string title)
    {
        var (code, stdout, stderr) = await display.XdotoolAsync("search", "--sync", "--onlyvisible", "--name", $"^{title}$");
        Assert.True(code == 0, $"no visible window '{title}': {stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Trim();
    }

    private static async Task<(int X, int Y)> WindowPositionAsync(XvfbDisplay display, string window)
    {
        var (code, stdout, _) = await display.XdotoolAsync("getwindowgeometry", "--shell", window);
        Assert.Equal(0, code);
        var values = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')).ToDictionary(p => p[0], p => p[1]);
        return (int.Parse(values["X"], CultureInfo.InvariantCulture), int.Parse(values["Y"], CultureInfo.InvariantCulture));
    }

    private static void AssertColor(Mat shot, int x, int y, Scalar expected)
    {
        var p = shot.At<Vec3b>(y, x);
        Assert.True(
            p.Item0 == (byte)expected.Val0 && p.Item1 == (byte)expected.Val1 && p.Item2 == (byte)expected.Val2,
            $"pixel ({x},{y}) is B{p.Item0} G{p.Item1} R{p.Item2}, expected B{expected.Val0} G{expected.Val1} R{expected.Val2}");
    }
}
