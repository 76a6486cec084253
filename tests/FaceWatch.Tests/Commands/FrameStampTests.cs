using FaceWatch.Commands.Scenarios;
using OpenCvSharp;

namespace FaceWatch.Tests.Commands;

[Trait("Category", "Slow")]
public sealed class FrameStampTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(457)]
    [InlineData(16383)]
    public void A_stamp_survives_lossy_compression(int frame)
    {
        using var image = new Mat(360, 640, MatType.CV_8UC3, new Scalar(90, 140, 60));
        Cv2.Randu(image, Scalar.All(40), Scalar.All(220)); // a busy picture around the strip
        FrameStamp.Draw(image, frame);
        Cv2.ImEncode(".jpg", image, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, 40));
        using var decoded = Cv2.ImDecode(jpeg, ImreadModes.Color);

        Assert.Equal(frame, FrameStamp.Read(decoded));
    }

    [Fact]
    public void A_frame_without_a_stamp_reads_as_none()
    {
        using var image = new Mat(360, 640, MatType.CV_8UC3, Scalar.All(128));

        Assert.Null(FrameStamp.Read(image));
    }
}
