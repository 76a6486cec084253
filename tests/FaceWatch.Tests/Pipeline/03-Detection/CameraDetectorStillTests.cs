using FaceWatch.Core.Imaging;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Motion;
using OpenCvSharp;

namespace FaceWatch.Tests.Pipeline.Detection;

/// <summary>
/// A still scene (a real photo) checked for motion every few frames only, and every frame again at the first motion
/// or track. Timestamps in milliseconds at 15 fps; the detector is a counting fake (the detector itself is not under test).
/// </summary>
public sealed class CameraDetectorStillTests
{
    private const long Frequency = 1000;
    private const long FrameMs = 67;

    private static readonly GatingOptions Options = new() { CalibrationFrames = 3, StillMotionEvery = 3, StillSeconds = 2, FullScanSeconds = 0 };

    [Fact]
    public void A_still_scene_is_measured_every_third_frame_after_StillSeconds_and_every_frame_from_the_first_motion()
    {
        using var scene = ImageLoader.Load(TestPaths.Data("images", "obama-720p.jpg"));
        var fake = new CountingDetector();
        using var detector = new CameraDetector(fake, Options, new CameraOptions { Name = "cam", Source = "x" }, 720, Frequency);
        long t = 0;
        CameraDetection Next(Mat image, bool tracked = false) =>
            detector.Detect(image, t += FrameMs, tracked ? [(new Rect2f(100, 100, 80, 80), 0)] : [], shotCut: false);

        // Calibration (3 frames) and the 2 s of stillness after it: every frame measured.
        for (var i = 0; i < 32; i++)
        {
            Assert.NotSame(MotionResult.Skipped, Next(scene).Motion);
        }

        // Still for 2 s: two frames in three skipped, every skipped frame unsearched.
        var skipped = Enumerable.Range(0, 30).Select(_ => Next(scene)).Select(d => (Skipped: ReferenceEquals(d.Motion, MotionResult.Skipped), d.Plan)).ToArray();
        Assert.Equal(20, skipped.Count(s => s.Skipped));
        Assert.All(skipped, s => Assert.Equal(ScanKind.None, s.Plan.Kind));
        Assert.All(skipped.Where((_, i) => i % 3 == 2), s => Assert.False(s.Skipped));

        // A square appears: found on the next measured frame at the latest, then every frame is measured.
        using var moved = scene.Clone();
        moved.Rectangle(new Rect(800, 300, 120, 120), new Scalar(128, 128, 128), -1);
        var untilFound = 0;
        while (Next(moved) is { Plan.Kind: ScanKind.None })
        {
            untilFound++;
        }

        Assert.InRange(untilFound, 0, Options.StillMotionEvery - 1);
        for (var i = 0; i < 15; i++)
        {
            Assert.NotSame(MotionResult.Skipped, Next(scene).Motion);
        }
    }

    [Fact]
    public void A_tracked_face_keeps_every_frame_measured_and_StillMotionEvery_1_never_skips()
    {
        using var scene = ImageLoader.Load(TestPaths.Data("images", "obama-720p.jpg"));
        using var tracked = new CameraDetector(new CountingDetector(), Options, new CameraOptions { Name = "cam", Source = "x" }, 720, Frequency);
        using var every = new CameraDetector(new CountingDetector(), new GatingOptions { CalibrationFrames = 3, StillMotionEvery = 1, FullScanSeconds = 0 }, new CameraOptions { Name = "cam", Source = "x" }, 720, Frequency);
        for (long t = FrameMs; t < 10 * Frequency; t += FrameMs)
        {
            Assert.NotSame(MotionResult.Skipped, tracked.Detect(scene, t, [(new Rect2f(100, 100, 80, 80), 0)], shotCut: false).Motion);
            Assert.NotSame(MotionResult.Skipped, every.Detect(scene, t, [], shotCut: false).Motion);
        }
    }

    /// <summary>Finds nothing; counts the calls.</summary>
    private sealed class CountingDetector : IFaceDetector
    {
        public int Calls { get; private set; }

        public IReadOnlyList<FaceDetection> Detect(Mat image, int? minFaceSize = null)
        {
            Calls++;
            return [];
        }
    }
}
