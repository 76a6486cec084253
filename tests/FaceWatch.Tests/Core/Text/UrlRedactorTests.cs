using FaceWatch.Pipeline.Capture;

using FaceWatch.Core.Text;
namespace FaceWatch.Tests.Core.Text;

public class UrlRedactorTests
{
    [Theory]
    [InlineData("rtsp://admin:s3cret@10.0.0.5:554/stream1", "rtsp://admin:***@10.0.0.5:554/stream1")]
    [InlineData("rtsps://user:p@ss:w0rd@cam.local/live", "rtsps://user:***@cam.local/live")]
    [InlineData("http://viewer:hunter2@127.0.0.1:8080/x.mjpg?password=abc&res=hd", "http://viewer:***@127.0.0.1:8080/x.mjpg?password=***&res=hd")]
    [InlineData("Connection to rtsp://a:b@h/x failed: rtsp://c:d@h2/y", "Connection to rtsp://a:***@h/x failed: rtsp://c:***@h2/y")]
    [InlineData("rtsp://10.0.0.5/no-credentials", "rtsp://10.0.0.5/no-credentials")]
    [InlineData("/dev/video0", "/dev/video0")]
    public void Masks_every_password(string input, string expected) => Assert.Equal(expected, UrlRedactor.Redact(input));

    [Fact]
    public void Camera_exception_messages_are_redacted() =>
        Assert.DoesNotContain("s3cret", new CameraException("cannot open rtsp://admin:s3cret@host/x").Message, StringComparison.Ordinal);
}
