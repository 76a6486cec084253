using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
using FaceWatch.Pipeline.Motion;
namespace FaceWatch.Tests.Pipeline.Motion;

/// <summary>The motion detector on a real photo as the still scene, with a grey square moved over it.</summary>
public sealed class MotionDetectorTests
{
    private static readonly GatingOptions Options = new() { CalibrationFrames = 3 };

    [Fact]
    public void Calibrates_first_then_a_still_scene_has_no_motion()
    {
        using var scene = ImageLoader.Load(TestPaths.Data("images", "obama-720p.jpg"));
        using var motion = new MotionDetector(Options);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(MotionState.Calibrating, motion.Observe(scene).State);
        }

        for (var i = 0; i < 5; i++)
        {
            var still = motion.Observe(scene);
            Assert.Equal(MotionState.Measured, still.State);
            Assert.Empty(still.Areas);
            Assert.Equal(0, still.Share);
        }
    }

    [Fact]
    public void A_moving_square_is_found_where_it_is_and_nowhere_else()
    {
        using var scene = ImageLoader.Load(TestPaths.Data("images", "obama-720p.jpg"));
        using var motion = new MotionDetector(Options);
        Calibrate(motion, scene);

        var square = new Rect(800, 300, 120, 120);
        using var frame = WithSquare(scene, square);
        var result = motion.Observe(frame);

        Assert.Equal(MotionState.Measured, result.State);
        var area = Assert.Single(result.Areas);
        // The blob covers the square (dilation and the 4x smaller motion frame add a few pixels round it).
        Assert.Equal(square, area & square);
        Assert.InRange(area.Width, square.Width, square.Width + 40);
        Assert.InRange(result.Share, 0.01, 0.05);
    }

    [Fact]
    public void Motion_under_a_mask_does_not_count()
    {
        using var scene = ImageLoader.Load(TestPaths.Data("images", "obama-720p.jpg"));
        var w = (double)scene.Width;
        var h = (double)scene.Height;
        using var motion = new MotionDetector(Options, [new MotionMask { X = 760 / w, Y = 260 / h, Width = 200 / w, Height = 200 / h }]);
        Calibrate(motion, scene);

        using var frame = WithSquare(scene, new Rect(800, 300, 120, 120));
        var result = motion.Observe(frame);

        Assert.Equal(MotionState.Measured, result.State);
        Assert.Empty(result.Areas);
    }

    [Fact]
    public void Lights_going_up_restart_the_background_instead_of_reporting_motion_everywhere()
    {
        using var scene = ImageLoader.Load(TestPaths.Data("images", "obama-720p.jpg"));
        using var motion = new MotionDetector(Options);
        Calibrate(motion, scene);

        // The lights go up: every pixel 80 grey levels brighter (saturated ones stay white).
        using var dark = new Mat();
        scene.ConvertTo(dark, -1, 1, 80);
        var result = motion.Observe(dark);

        Assert.Equal(MotionState.LightChange, result.State);
        Assert.Equal(1, motion.LightChanges);
        Assert.Equal(MotionState.Calibrating, motion.Observe(dark).State);
        Calibrate(motion, dark);
        Assert.Empty(motion.Observe(dark).Areas);
    }

    private static void Calibrate(MotionDetector motion, Mat scene)
    {
        for (var i = 0; i < 10; i++)
        {
            motion.Observe(scene);
        }
    }

    private static Mat WithSquare(Mat scene, Rect square)
    {
        var frame = scene.Clone();
        frame.Rectangle(square, new Scalar(128, 128, 128), -1);
        return frame;
    }
}
