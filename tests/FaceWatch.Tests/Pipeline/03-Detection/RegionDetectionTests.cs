using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Tests.Pipeline.Detection;

/// <summary>Detection inside regions on real photos: the same faces as a full scan where the regions cover them, none elsewhere.</summary>
[Trait("Category", "Slow")]
public sealed class RegionDetectionTests : IClassFixture<MtcnnDetectorFixture>
{
    private readonly MtcnnDetector _detector;

    public RegionDetectionTests(MtcnnDetectorFixture fixture) => _detector = fixture.Detector;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void A_region_round_each_face_finds_the_faces_of_the_full_scan_with_the_same_boxes_and_landmarks(int sample)
    {
        using var image = ImageLoader.Load(FaceApiSamples.Path(sample));
        var full = _detector.Detect(image);
        Assert.NotEmpty(full);

        var regions = full.Select(f => new DetectionRegion(Around(f.Box, 2.2, image), 40)).ToArray();
        var inRegions = _detector.DetectIn(image, regions);

        Assert.Equal(full.Count, inRegions.Count);
        foreach (var face in full)
        {
            var match = inRegions.OrderByDescending(r => FaceWatch.Pipeline.Tracking.FaceTracker.Iou(r.Box, face.Box)).First();
            Assert.True(FaceWatch.Pipeline.Tracking.FaceTracker.Iou(match.Box, face.Box) > 0.85, $"box {match.Box} vs {face.Box}");
            for (var i = 0; i < 5; i++)
            {
                Assert.True(match.Landmarks[i].DistanceTo(face.Landmarks[i]) < 0.06 * face.Box.Width, $"landmark {i}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Refinding_tracked_faces_on_their_boxes_moved_a_little_finds_each_face_without_a_pyramid_search(int sample)
    {
        using var image = ImageLoader.Load(FaceApiSamples.Path(sample));
        var full = _detector.Detect(image);

        // Where a tracker would predict them: 5 % of the face off and 5 % larger.
        var predicted = full.Select(f => new Rect2f(f.Box.X + (0.05f * f.Box.Width), f.Box.Y - (0.05f * f.Box.Height), f.Box.Width * 1.05f, f.Box.Height * 1.05f)).ToArray();
        var refound = _detector.DetectIn(image, [], predicted);

        Assert.Equal(full.Count, refound.Count);
        foreach (var face in full)
        {
            Assert.Contains(refound, r => FaceWatch.Pipeline.Tracking.FaceTracker.Iou(r.Box, face.Box) > 0.7);
        }
    }

    [Fact]
    public void Overlapping_regions_report_a_face_once_and_a_region_without_a_face_reports_none()
    {
        using var image = ImageLoader.Load(FaceApiSamples.Path(1));
        var face = _detector.Detect(image)[0];
        var around = Around(face.Box, 2.2, image);
        var shifted = new Rect(around.X + 10, around.Y + 10, around.Width, around.Height) & new Rect(0, 0, image.Width, image.Height);

        Assert.Single(_detector.DetectIn(image, [new DetectionRegion(around, 40), new DetectionRegion(shifted, 40)]));

        // A strip the size of a face beside the frame edge, away from every face the full scan found.
        var faces = _detector.Detect(image);
        var empty = Enumerable.Range(0, image.Width / 80).Select(i => new Rect(i * 80, image.Height - 80, 80, 80))
            .First(r => faces.All(f => (r & new Rect((int)f.Box.X, (int)f.Box.Y, (int)f.Box.Width, (int)f.Box.Height)).Width == 0));
        Assert.Empty(_detector.DetectIn(image, [new DetectionRegion(empty, 40)]));
    }

    private static Rect Around(Rect2f box, double scale, Mat image)
    {
        var side = Math.Max(box.Width, box.Height) * scale;
        var cx = box.X + (box.Width / 2);
        var cy = box.Y + (box.Height / 2);
        return new Rect((int)(cx - (side / 2)), (int)(cy - (side / 2)), (int)side, (int)side) & new Rect(0, 0, image.Width, image.Height);
    }
}
