using FaceWatch.Pipeline.Detection;

namespace FaceWatch.Tests.Pipeline.Detection;

internal static class FaceAssert
{
    /// <summary>
    /// A roughly frontal face: landmarks inside the box, eyes above the nose above the mouth corners,
    /// left eye left of the right eye, left mouth corner left of the right one.
    /// </summary>
    public static void FrontalLandmarks(FaceDetection face)
    {
        var p = face.Landmarks;
        Assert.Equal(5, p.Length);
        var box = face.Box;
        foreach (var point in p)
        {
            Assert.InRange(point.X, box.X, box.X + box.Width);
            Assert.InRange(point.Y, box.Y, box.Y + box.Height);
        }

        var (leftEye, rightEye, nose, leftMouth, rightMouth) = (p[0], p[1], p[2], p[3], p[4]);
        Assert.True(leftEye.X < rightEye.X, $"left eye {leftEye} should be left of right eye {rightEye}");
        Assert.True(leftMouth.X < rightMouth.X, $"left mouth corner {leftMouth} should be left of {rightMouth}");
        Assert.True(Math.Max(leftEye.Y, rightEye.Y) < nose.Y, $"eyes {leftEye} {rightEye} should be above the nose {nose}");
        Assert.True(nose.Y < Math.Min(leftMouth.Y, rightMouth.Y), $"nose {nose} should be above the mouth {leftMouth} {rightMouth}");
        Assert.InRange(nose.X, leftEye.X, rightEye.X);
    }
}
