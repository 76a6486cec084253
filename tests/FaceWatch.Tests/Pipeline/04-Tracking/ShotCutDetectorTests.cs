using FaceWatch.Pipeline.Tracking;
using OpenCvSharp;

namespace FaceWatch.Tests.Pipeline.Tracking;

[Trait("Category", "Slow")]
public class ShotCutDetectorTests
{
    [Fact]
    public void Finds_the_three_cuts_of_the_demo_clip_and_nothing_else()
    {
        // The clip at the daemon's default 10 detection fps: the stage, a close-up, the performer, then the audience
        // (Barack Obama among them). Times from the first video frame, which the file stamps at 0.85 s (so ffmpeg's
        // -ss puts these cuts at 1.5, 3.6 and 7.9 s).
        var clip = TestPaths.Data("video", "short_hamilton_clip.mp4");
        using var capture = new VideoCapture(clip);
        Assert.True(capture.IsOpened(), clip);
        var detector = new ShotCutDetector(new TrackingOptions());
        using var frame = new Mat();
        var cuts = new List<double>();
        var index = 0;
        var nextDue = 0.0;
        while (capture.Read(frame) && !frame.Empty())
        {
            index++;
            var seconds = capture.Get(VideoCaptureProperties.PosMsec) / 1000;
            if (seconds + 1e-6 < nextDue)
            {
                continue;
            }

            nextDue += 0.1;
            if (detector.Observe(frame))
            {
                cuts.Add(Math.Round(seconds, 1));
            }
        }

        Assert.True(index > 250, $"read only {index} frames");
        Assert.Equal(3, cuts.Count);
        Assert.Collection(
            cuts,
            c => Assert.InRange(c, 0.6, 0.8),
            c => Assert.InRange(c, 2.7, 2.9),
            c => Assert.InRange(c, 7.0, 7.2));
    }

    [Fact]
    public void A_change_of_brightness_alone_is_no_cut_and_a_new_scene_is()
    {
        var detector = new ShotCutDetector(new TrackingOptions());
        using var scene = new Mat(360, 640, MatType.CV_8UC3);
        Cv2.Randu(scene, Scalar.All(0), Scalar.All(255));
        Cv2.GaussianBlur(scene, scene, new Size(31, 31), 0);
        using var brighter = new Mat();
        scene.ConvertTo(brighter, -1, 1.0, 40);
        using var other = new Mat(360, 640, MatType.CV_8UC3, Scalar.All(20));
        Cv2.Rectangle(other, new Rect(0, 0, 320, 360), Scalar.All(230), -1);

        Assert.False(detector.Observe(scene));
        Assert.False(detector.Observe(brighter));
        Assert.True(detector.Observe(other));
        Assert.Equal(1, detector.Cuts);
    }
}
