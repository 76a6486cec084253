using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Tests.Pipeline.Detection;

public class FaceAlignerTests : IClassFixture<MtcnnDetectorFixture>
{
    private static readonly Scalar[] Colours = [new(255, 0, 0), new(0, 255, 0), new(0, 0, 255), new(255, 255, 0), new(0, 255, 255)];
    private readonly MtcnnDetector _detector;

    public FaceAlignerTests(MtcnnDetectorFixture fixture) => _detector = fixture.Detector;

    [Fact]
    public void Similarity_fit_recovers_a_known_rotation_scale_and_shift()
    {
        var template = FaceAligner.TemplateFor(112);
        var moved = Transform(template, angleDegrees: 25, scale: 2.5, dx: 140, dy: 90);

        using var m = FaceAligner.EstimateSimilarity(moved, template);
        var back = Apply(m, moved);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(template[i].X, back[i].X, 0.01f);
            Assert.Equal(template[i].Y, back[i].Y, 0.01f);
        }
    }

    [Theory]
    [InlineData(112)]
    [InlineData(160)]
    public void Warped_landmarks_land_on_the_template_within_2_px(int size)
    {
        // Coloured dots where the landmarks are, in a tilted, scaled "face"; after alignment each dot's centre
        // must sit on its template point.
        var template = FaceAligner.TemplateFor(size);
        var landmarks = Transform(FaceAligner.TemplateFor(112), angleDegrees: -18, scale: 1.7, dx: 60, dy: 75);
        using var frame = new Mat(400, 400, MatType.CV_8UC3, Scalar.All(40));
        for (var i = 0; i < 5; i++)
        {
            Cv2.Circle(frame, (Point)landmarks[i], 6, Colours[i], -1, LineTypes.AntiAlias);
        }

        using var aligned = FaceAligner.Align(frame, landmarks, size);

        Assert.Equal(new Size(size, size), aligned.Size());
        Assert.Equal(MatType.CV_8UC3, aligned.Type());
        for (var i = 0; i < 5; i++)
        {
            var centre = CentreOf(aligned, Colours[i]);
            Assert.True(centre.DistanceTo(template[i]) < 2, $"landmark {i} at {centre}, template {template[i]}");
        }
    }

    [Fact]
    public void A_real_face_is_aligned_with_its_eyes_near_the_template()
    {
        using var image = ImageLoader.Load(TestPaths.Data("images", "obama-480p.jpg"));
        var face = Assert.Single(_detector.Detect(image));

        using var aligned = FaceAligner.Align(image, face.Landmarks, 112);

        // Where the detected eyes went: the fitted transform applied to them. A real face (here a wide smile)
        // does not have the template's proportions, and the least-squares fit spreads that over all five points,
        // so the eyes land within 3 px; the synthetic test above holds the warp itself to 2 px.
        using var m = FaceAligner.EstimateSimilarity(face.Landmarks, FaceAligner.TemplateFor(112));
        var moved = Apply(m, face.Landmarks);
        Assert.True(moved[0].DistanceTo(FaceAligner.Template112[0]) < 3, $"left eye at {moved[0]}");
        Assert.True(moved[1].DistanceTo(FaceAligner.Template112[1]) < 3, $"right eye at {moved[1]}");

        // And the crop really is a face: the detector finds it again, eyes near the template.
        using var padded = new Mat();
        Cv2.CopyMakeBorder(aligned, padded, 40, 40, 40, 40, BorderTypes.Constant, Scalar.All(0));
        var again = Assert.Single(_detector.Detect(padded, 20), f => f.Score > 0.9f);
        Assert.True(again.Landmarks[0].DistanceTo(FaceAligner.Template112[0] + new Point2f(40, 40)) < 4);
        Assert.True(again.Landmarks[1].DistanceTo(FaceAligner.Template112[1] + new Point2f(40, 40)) < 4);
    }

    [Fact]
    public void Bad_input_is_rejected()
    {
        using var frame = new Mat(100, 100, MatType.CV_8UC3, Scalar.All(0));
        Assert.Throws<ArgumentException>(() => FaceAligner.Align(frame, new Point2f[4]));
        Assert.Throws<ArgumentException>(() => FaceAligner.Align(frame, Enumerable.Repeat(new Point2f(5, 5), 5).ToArray()));
        using var empty = new Mat();
        Assert.Throws<ArgumentException>(() => FaceAligner.Align(empty, FaceAligner.TemplateFor(112)));
    }

    private static Point2f[] Transform(IReadOnlyList<Point2f> points, double angleDegrees, double scale, double dx, double dy)
    {
        var a = angleDegrees * Math.PI / 180;
        return points.Select(p => new Point2f(
            (float)((scale * ((Math.Cos(a) * p.X) - (Math.Sin(a) * p.Y))) + dx),
            (float)((scale * ((Math.Sin(a) * p.X) + (Math.Cos(a) * p.Y))) + dy))).ToArray();
    }

    private static Point2f[] Apply(Mat m, IReadOnlyList<Point2f> points) => points.Select(p => new Point2f(
        (float)((m.At<double>(0, 0) * p.X) + (m.At<double>(0, 1) * p.Y) + m.At<double>(0, 2)),
        (float)((m.At<double>(1, 0) * p.X) + (m.At<double>(1, 1) * p.Y) + m.At<double>(1, 2)))).ToArray();

    private static Point2f CentreOf(Mat image, Scalar colour)
    {
        // Pixels close to the dot colour; the centroid of the mask is the dot centre.
        using var lower = new Mat();
        var lo = new Scalar(Math.Max(0, colour.Val0 - 90), Math.Max(0, colour.Val1 - 90), Math.Max(0, colour.Val2 - 90));
        var hi = new Scalar(Math.Min(255, colour.Val0 + 90), Math.Min(255, colour.Val1 + 90), Math.Min(255, colour.Val2 + 90));
        Cv2.InRange(image, lo, hi, lower);
        var moments = Cv2.Moments(lower, binaryImage: true);
        Assert.True(moments.M00 > 3, $"no dot of colour {colour} in the aligned crop");
        return new Point2f((float)(moments.M10 / moments.M00), (float)(moments.M01 / moments.M00));
    }
}
