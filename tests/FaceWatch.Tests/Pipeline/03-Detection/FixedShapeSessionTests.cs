using FaceWatch.Pipeline.Detection;
using FaceWatch.Core.Imaging;
using FaceWatch.Core.Models;
namespace FaceWatch.Tests.Pipeline.Detection;

/// <summary>P-Net sessions planned per canvas shape give the faces the shape-agnostic session gives.</summary>
[Trait("Category", "Slow")]
public sealed class FixedShapeSessionTests(MtcnnDetectorFixture fixture) : IClassFixture<MtcnnDetectorFixture>
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)] // more shapes than sessions: the rest use the shape-agnostic session
    [InlineData(4)]
    public void Same_faces_with_and_without_fixed_shape_sessions(int sessions)
    {
        using var reference = fixture.Create(new MtcnnOptions { FixedShapeSessions = 0 });
        using var detector = fixture.Create(new MtcnnOptions { FixedShapeSessions = sessions });
        foreach (var name in new[] { "two_people.jpg", "obama-480p.jpg", "two_people.jpg", "obama-720p.jpg" })
        {
            using var image = ImageLoader.Load(TestPaths.Data("images", name));
            var expected = reference.Detect(image);
            var actual = detector.Detect(image);
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Score, actual[i].Score, 4);
                Assert.Equal(expected[i].Box.X, actual[i].Box.X, 1);
                Assert.Equal(expected[i].Box.Width, actual[i].Box.Width, 1);
            }
        }
    }

    [Fact]
    public void Int8_precision_picks_the_int8_file_and_float_the_float_file()
    {
        Assert.Equal("pnet.int8.onnx", ModelFiles.For(ModelFiles.PNet, ModelPrecision.Int8));
        Assert.Equal("onet.onnx", ModelFiles.For(ModelFiles.ONet, ModelPrecision.Float32));
        var sessions = new InferenceSessionFactory(Microsoft.Extensions.Options.Options.Create(
            new ModelsOptions { Dir = TestPaths.ModelsDir, RNetPrecision = ModelPrecision.Int8 }));
        Assert.Equal("rnet.int8.onnx", sessions.FileOf(ModelFiles.RNet));
        Assert.Equal("pnet.onnx", sessions.FileOf(ModelFiles.PNet));
        Assert.Equal("mobilefacenet.onnx", sessions.FileOf(ModelFiles.MobileFaceNet));
    }
}
