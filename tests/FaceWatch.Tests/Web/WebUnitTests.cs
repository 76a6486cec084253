using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Web;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;

using FaceWatch.Core.Health;
using FaceWatch.Hosting.LiveView;
namespace FaceWatch.Tests.Web;

public sealed class WebOptionsValidatorTests
{
    [Fact]
    public void Defaults_are_off_and_loopback()
    {
        var options = new WebOptions();
        Assert.False(options.Enabled);
        Assert.Equal("http://127.0.0.1:8080", options.Urls);
        Assert.Null(options.Token);
        Assert.Equal(10, options.MaxStreamFps);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://[::1]:8080")]
    [InlineData("http://127.0.0.1:8080;http://[::1]:8080")]
    public void Loopback_needs_no_token(string urls) =>
        Assert.True(new WebOptionsValidator().Validate(null, new WebOptions { Enabled = true, Urls = urls }).Succeeded);

    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://+:8080")]
    [InlineData("http://192.168.1.20:8080")]
    [InlineData("http://127.0.0.1:8080;http://[::]:8080")]
    public void Non_loopback_without_token_fails_naming_Web_Token(string urls)
    {
        var result = new WebOptionsValidator().Validate(null, new WebOptions { Enabled = true, Urls = urls });
        Assert.True(result.Failed);
        Assert.StartsWith("Web:Token is required", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new WebOptionsValidator().Validate(null, new WebOptions { Enabled = true, Urls = urls, Token = "t" }).Succeeded);
    }

    [Fact]
    public void Unparseable_url_names_Web_Urls()
    {
        var result = new WebOptionsValidator().Validate(null, new WebOptions { Enabled = true, Urls = "127.0.0.1:8080" });
        Assert.Contains("Web:Urls: '127.0.0.1:8080' is not a URL", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Disabled_web_is_not_checked() =>
        Assert.True(new WebOptionsValidator().Validate(null, new WebOptions { Urls = "http://0.0.0.0:80" }).Succeeded);
}

public sealed class OverlayRendererTests
{
    [Fact]
    public void Known_unknown_and_pending_tracks_get_their_colours_and_labels()
    {
        using var image = new Mat(360, 640, MatType.CV_8UC3, Scalar.Black);
        var known = new TrackOverlay(3, new Rect2f(100, 100, 80, 90), [new(120, 130)], "ada", true, 0.876);
        var unknown = new TrackOverlay(4, new Rect2f(300, 100, 80, 90), null, "unknown", false, 0.31);
        var pending = new TrackOverlay(5, new Rect2f(450, 150, 60, 60), null, null, false, 0);
        OverlayRenderer.Draw(image, [known, unknown, pending], new CameraHealth("cam", true, 10, 2, 0, 9.5, null, DateTimeOffset.UnixEpoch));

        Assert.Equal(new Vec3b(0, 255, 0), image.At<Vec3b>(145, 100));
        Assert.Equal(new Vec3b(0, 64, 255), image.At<Vec3b>(145, 300));
        Assert.Equal(new Vec3b(255, 200, 0), image.At<Vec3b>(180, 450));
        Assert.Equal(new Vec3b(0, 255, 255), image.At<Vec3b>(130, 120));
        Assert.Equal(new Vec3b(0, 0, 0), image.At<Vec3b>(145, 140)); // boxes are outlines
        Assert.Equal("#3 ada (0.88)", OverlayRenderer.Label(known));
        Assert.Equal("#4 unknown (0.31)", OverlayRenderer.Label(unknown));
        Assert.Equal("#5", OverlayRenderer.Label(pending));

        // With the evidence behind the decision: similarity and margin for a name, the nearest person behind unknown.
        Assert.Equal("#3 ada (0.88) sim 0.62 +0.15", OverlayRenderer.Label(known with { Nearest = "ada", Similarity = 0.621, Margin = 0.149 }));
        Assert.Equal("#4 unknown (0.31) ~bob 0.41 +0.02", OverlayRenderer.Label(unknown with { Nearest = "bob", Similarity = 0.41, Margin = 0.02 }));
        Assert.Equal("#4 unknown (0.31) ~bob 0.41", OverlayRenderer.Label(unknown with { Nearest = "bob", Similarity = 0.41 }));
    }

    [Fact]
    public void Boxes_partly_outside_the_frame_are_clipped_not_fatal()
    {
        using var image = new Mat(120, 160, MatType.CV_8UC3, Scalar.Black);
        OverlayRenderer.Draw(image, [new TrackOverlay(1, new Rect2f(-20, -10, 400, 300), null, "x", true, 1)], null);
        Assert.Equal(new Vec3b(0, 255, 0), image.At<Vec3b>(119, 60));
    }
}

public sealed class FrameMailboxTests
{
    [Fact]
    public void Newest_frame_wins_and_the_replaced_one_is_disposed()
    {
        using var mailbox = new FrameMailbox();
        var first = new AnnotatedFrame("c", 1, new Mat(4, 4, MatType.CV_8UC3), [], null, DateTimeOffset.UnixEpoch);
        var second = new AnnotatedFrame("c", 2, new Mat(4, 4, MatType.CV_8UC3), [], null, DateTimeOffset.UnixEpoch);
        mailbox.Put(first);
        mailbox.Put(second);
        Assert.True(first.Image.IsDisposed);
        Assert.Equal(1, mailbox.Replaced);
        Assert.True(mailbox.Reader.TryRead(out var taken));
        using (taken)
        {
            Assert.Equal(2, taken!.Sequence);
        }
    }
}

public sealed class SnapshotTests
{
    [Fact]
    public void Cleaner_deletes_files_past_retention_and_beyond_the_maximum_count()
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-snapshots-");
        try
        {
            var now = new DateTimeOffset(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
            var time = new FakeTimeProvider(now);
            var cam = Directory.CreateDirectory(Path.Combine(dir.FullName, "door"));
            for (var i = 0; i < 6; i++)
            {
                var file = Path.Combine(cam.FullName, $"f{i}.jpg");
                File.WriteAllBytes(file, [1]);
                File.SetLastWriteTimeUtc(file, now.UtcDateTime.AddDays(-i * 2)); // 0, 2, 4, 6, 8, 10 days old
            }

            File.WriteAllText(Path.Combine(cam.FullName, "notes.txt"), "not a snapshot");
            var cleaner = new SnapshotCleaner(Options.Create(new SnapshotOptions { RetentionDays = 7, MaxCount = 3 }), time);
            Assert.Equal(3, cleaner.Clean(dir.FullName));
            Assert.Equal(["f0.jpg", "f1.jpg", "f2.jpg"], Directory.GetFiles(cam.FullName, "*.jpg").Select(Path.GetFileName).Order());

            time.Advance(TimeSpan.FromDays(3.5)); // f2 is now 7.5 days old: past retention
            Assert.Equal(1, cleaner.Clean(dir.FullName));
            Assert.True(File.Exists(Path.Combine(cam.FullName, "notes.txt")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Sink_copies_one_crop_per_track_and_name()
    {
        using var sink = new SnapshotSink();
        using var image = new Mat(100, 200, MatType.CV_8UC3, new Scalar(10, 20, 30));
        using var frame = new Frame("door", 1, image.Clone(), DateTimeOffset.UnixEpoch, 0);
        var undecided = new TrackOverlay(1, new Rect2f(10, 10, 30, 30), null, null, false, 0);
        var named = new TrackOverlay(2, new Rect2f(180, 80, 40, 40), null, "ada", true, 0.9);
        sink.Post(frame, [undecided, named], null);
        sink.Post(frame, [undecided, named], null);
        sink.Post(frame, [named with { Name = "unknown", Known = false }], null);

        Assert.True(sink.Reader.TryRead(out var first));
        using (first)
        {
            Assert.Equal(("ada", 20, 20), (first!.Name, first.Crop.Width, first.Crop.Height)); // clipped to the frame
            Assert.False(first.Crop.IsSubmatrix());
        }

        Assert.True(sink.Reader.TryRead(out var second));
        second!.Dispose();
        Assert.Equal("unknown", second.Name);
        Assert.False(sink.Reader.TryRead(out _));
    }

    [Fact]
    public void Snapshots_are_off_by_default() => Assert.False(new SnapshotOptions().Enabled);
}
