using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Tests.Pipeline.Detection;

[Trait("Category", "Slow")]
public class MtcnnDetectorTests : IClassFixture<MtcnnDetectorFixture>
{
    private readonly MtcnnDetector _detector;
    private readonly MtcnnDetectorFixture _fixture;

    public MtcnnDetectorTests(MtcnnDetectorFixture fixture)
    {
        _fixture = fixture;
        _detector = fixture.Detector;
    }

    private static Mat Load(string name) => ImageLoader.Load(TestPaths.Data("images", name));

    [Theory]
    [InlineData("obama-240p.jpg")]
    [InlineData("obama-480p.jpg")]
    [InlineData("obama-720p.jpg")]
    [InlineData("obama-1080p.jpg")]
    public void Finds_the_one_face_with_landmarks_on_eyes_nose_and_mouth(string file)
    {
        using var image = Load(file);

        var faces = _detector.Detect(image);

        var face = Assert.Single(faces);
        Assert.True(face.Score > 0.99f, $"score {face.Score}");
        FaceAssert.FrontalLandmarks(face);
        // The face sits in the upper middle of every version of this photo.
        var cx = (face.Box.X + (face.Box.Width / 2)) / image.Width;
        Assert.InRange(cx, 0.4f, 0.6f);
        Assert.InRange(face.Box.Height / image.Height, 0.2f, 0.45f);
    }

    [Fact]
    public void Finds_both_people()
    {
        using var image = Load("two_people.jpg");

        var faces = _detector.Detect(image);

        Assert.Equal(2, faces.Count);
        Assert.All(faces, f => Assert.True(f.Score > 0.99f, $"score {f.Score}"));
        Assert.All(faces, FaceAssert.FrontalLandmarks);
        var left = faces.MinBy(f => f.Box.X)!;
        var right = faces.MaxBy(f => f.Box.X)!;
        Assert.True(left.Box.X + left.Box.Width < right.Box.X, "the two faces should not overlap");
    }

    [Fact]
    public void Results_are_sorted_by_score()
    {
        using var image = ImageLoader.Load(FaceApiSamples.Path(5));
        var faces = _detector.Detect(image);
        Assert.True(faces.Count > 1);
        for (var i = 1; i < faces.Count; i++)
        {
            Assert.True(faces[i - 1].Score >= faces[i].Score);
        }
    }

    [Fact]
    public void A_transposed_photo_finds_no_face_so_the_graphs_transpose_matches_the_weights()
    {
        // The weights were trained on width/height-swapped images; the converted graphs undo that. Were the
        // transpose wrong, upright faces would look like these sideways ones and nothing would be found.
        foreach (var file in new[] { "obama-480p.jpg", "obama-720p.jpg", "two_people.jpg" })
        {
            using var image = Load(file);
            using var transposed = new Mat();
            Cv2.Transpose(image, transposed);

            Assert.NotEmpty(_detector.Detect(image));
            Assert.DoesNotContain(_detector.Detect(transposed), f => f.Score > 0.9f);
        }
    }

    [Fact]
    public void Faces_score_higher_in_the_channel_order_the_weights_expect()
    {
        // MTCNN still finds faces with red and blue swapped, but less surely: summed over several faces the
        // log-odds must be clearly higher for the order the detector claims to feed (BGR in, RGB to the network).
        double Confidence(IReadOnlyList<FaceDetection> faces) =>
            faces.Sum(f => Math.Log(Math.Max(f.Score, 1e-6) / Math.Max(1 - f.Score, 1e-7)));

        double right = 0, swapped = 0;
        foreach (var file in new[] { "obama-240p.jpg", "obama-480p.jpg", "obama-720p.jpg", "obama-1080p.jpg", "two_people.jpg" })
        {
            using var image = Load(file);
            using var rgb = new Mat();
            Cv2.CvtColor(image, rgb, ColorConversionCodes.BGR2RGB);
            right += Confidence(_detector.Detect(image));
            swapped += Confidence(_detector.Detect(rgb));
        }

        Assert.True(right > swapped + 2, $"log-odds BGR {right:F1}, swapped {swapped:F1}");
    }

    [Fact]
    public void A_blank_image_has_no_face()
    {
        using var grey = new Mat(480, 640, MatType.CV_8UC3, new Scalar(128, 128, 128));
        using var black = new Mat(480, 640, MatType.CV_8UC3, Scalar.All(0));
        Assert.Empty(_detector.Detect(grey));
        Assert.Empty(_detector.Detect(black));
    }

    [Fact]
    public void Noise_has_no_face()
    {
        var bytes = new byte[720 * 1280 * 3];
        new Random(42).NextBytes(bytes);
        using var noise = Mat.FromPixelData(720, 1280, MatType.CV_8UC3, bytes);
        Assert.Empty(_detector.Detect(noise, 20));
    }

    [Fact]
    public void More_candidates_than_one_batch_are_run_in_several_batches_and_every_face_is_found()
    {
        // Tiled faces at the smallest minimum face: more P-Net candidates than one R-Net batch holds.
        using var face = Load("obama-240p.jpg");
        using var wall = new Mat();
        Cv2.Repeat(face, 3, 3, wall);
        var sink = new Sink();

        var faces = _detector.Detect(wall, 12, sink);

        Assert.True(sink.Runs[0].PNetCandidates > MtcnnDetector.MaxBatch, $"{sink.Runs[0].PNetCandidates} candidates");
        Assert.Equal(9, faces.Count(f => f.Score > 0.99f));
    }

    [Fact]
    public void An_image_smaller_than_the_minimum_face_has_no_face()
    {
        using var tiny = new Mat(30, 30, MatType.CV_8UC3, Scalar.All(90));
        Assert.Empty(_detector.Detect(tiny));
    }

    [Fact]
    public void An_empty_image_is_rejected_with_a_clear_message()
    {
        using var empty = new Mat();
        var e = Assert.Throws<ArgumentException>(() => _detector.Detect(empty));
        Assert.Contains("empty image", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unsupported_pixel_format_is_rejected_with_a_clear_message()
    {
        using var twoChannels = new Mat(100, 100, MatType.CV_8UC2, Scalar.All(0));
        var e = Assert.Throws<ArgumentException>(() => _detector.Detect(twoChannels));
        Assert.Contains("2 channels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Grey_four_channel_and_16_bit_frames_are_converted()
    {
        using var bgr = Load("obama-480p.jpg");
        var expected = Assert.Single(_detector.Detect(bgr));

        using var grey = new Mat();
        Cv2.CvtColor(bgr, grey, ColorConversionCodes.BGR2GRAY);
        using var bgra = new Mat();
        Cv2.CvtColor(bgr, bgra, ColorConversionCodes.BGR2BGRA);
        using var deep = new Mat();
        bgr.ConvertTo(deep, MatType.CV_16UC3, 257);

        var fromGrey = Assert.Single(_detector.Detect(grey));
        Assert.True(fromGrey.Score > 0.9f, $"grey score {fromGrey.Score}");
        Assert.True(Iou(expected.Box, fromGrey.Box) > 0.7);

        // BGRA (opaque) and 16-bit hold the same picture: the same face, to the pixel.
        var fromBgra = Assert.Single(_detector.Detect(bgra));
        var fromDeep = Assert.Single(_detector.Detect(deep));
        Assert.Equal(expected.Box.X, fromBgra.Box.X, 0.5f);
        Assert.Equal(expected.Box.X, fromDeep.Box.X, 0.5f);
        Assert.Equal(expected.Score, fromDeep.Score, 0.001f);
    }

    [Fact]
    public void A_face_cut_by_the_frame_edge_gets_a_box_past_the_edge_not_a_shrunk_one()
    {
        using var image = Load("obama-480p.jpg");
        var whole = Assert.Single(_detector.Detect(image));
        // Cut the frame through the middle of the face: the left half of the face is gone.
        var cut = (int)(whole.Box.X + (whole.Box.Width * 0.3f));
        using var view = new Mat(image, new Rect(cut, 0, image.Width - cut, image.Height));
        using var right = view.Clone();

        var face = Assert.Single(_detector.Detect(right), f => f.Score > 0.9f);

        Assert.True(face.Box.X < 0, $"box starts at {face.Box.X}: it should reach past the left edge");
        // Not shrunk to the visible part (0.7 of the face): about as wide as the whole face.
        Assert.True(face.Box.Width > 0.85f * whole.Box.Width, $"width {face.Box.Width} vs whole face {whole.Box.Width}");
    }

    [Fact]
    public void Huge_frames_are_downscaled_and_boxes_come_back_in_original_pixels()
    {
        using var image = Load("obama-1080p.jpg");
        var full = Assert.Single(_detector.Detect(image));
        using var limited = _fixture.Create(new MtcnnOptions { MaxInputSide = 640 });

        var face = Assert.Single(limited.Detect(image));

        Assert.True(Iou(full.Box, face.Box) > 0.8, $"{full.Box} vs {face.Box}");
        Assert.True(Math.Abs(full.Landmarks[0].X - face.Landmarks[0].X) < 8);
    }

    [Fact]
    public void Cameras_can_share_one_detector()
    {
        string[] files = ["obama-240p.jpg", "obama-480p.jpg", "two_people.jpg", "obama-720p.jpg"];
        var images = files.Select(Load).ToArray();
        try
        {
            var expected = images.Select(i => _detector.Detect(i)).ToArray();
            var results = new IReadOnlyList<FaceDetection>[images.Length * 6];
            Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = _detector.Detect(images[i % images.Length]));

            for (var i = 0; i < results.Length; i++)
            {
                var want = expected[i % images.Length];
                Assert.Equal(want.Count, results[i].Count);
                for (var j = 0; j < want.Count; j++)
                {
                    Assert.Equal(want[j].Box, results[i][j].Box);
                    Assert.Equal(want[j].Score, results[i][j].Score);
                }
            }
        }
        finally
        {
            foreach (var image in images)
            {
                image.Dispose();
            }
        }
    }

    [Fact]
    public void Timing_sink_receives_every_stage()
    {
        using var image = Load("two_people.jpg");
        var sink = new Sink();
        var faces = _detector.Detect(image, null, sink);
        var t = Assert.Single(sink.Runs);
        Assert.Equal(faces.Count, t.Faces);
        Assert.True(t.PNet > TimeSpan.Zero && t.RNet > TimeSpan.Zero && t.ONet > TimeSpan.Zero && t.Preprocess > TimeSpan.Zero);
        Assert.True(t.PNetCandidates >= t.RNetCandidates && t.RNetCandidates >= t.Faces);
        Assert.True(t.Preprocess + t.PNet + t.RNet + t.ONet + t.Postprocess <= t.Total + TimeSpan.FromMilliseconds(0.1));
    }

    private static float Iou(Rect2f a, Rect2f b)
    {
        var x1 = Math.Max(a.X, b.X);
        var y1 = Math.Max(a.Y, b.Y);
        var x2 = Math.Min(a.X + a.Width, b.X + b.Width);
        var y2 = Math.Min(a.Y + a.Height, b.Y + b.Height);
        var inter = Math.Max(0, x2 - x1) * Math.Max(0, y2 - y1);
        return inter / ((a.Width * a.Height) + (b.Width * b.Height) - inter);
    }

    private sealed class Sink : IDetectionTimingSink
    {
        public List<DetectionTimings> Runs { get; } = [];

        public void Record(in DetectionTimings timings) => Runs.Add(timings);
    }
}
