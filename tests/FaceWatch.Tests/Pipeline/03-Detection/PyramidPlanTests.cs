using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

namespace FaceWatch.Tests.Pipeline.Detection;

public class PyramidPlanTests
{
    [Fact]
    public void Levels_start_at_12_over_min_face_and_shrink_by_the_factor_until_12_px()
    {
        var sizes = PyramidPlan.LevelSizes(new Size(640, 480), 40, 0.709f);

        Assert.Equal(new Size(192, 144), sizes[0]);
        Assert.Equal(new Size(137, 103), sizes[1]); // ceil(640 * 0.3 * 0.709)
        Assert.True(sizes[^1].Height >= 12);
        var next = 480 * 0.3 * Math.Pow(0.709, sizes.Count);
        Assert.True(next < 12, $"a level of {next:F1} px would still fit");
    }

    [Fact]
    public void An_image_smaller_than_the_min_face_has_no_levels()
    {
        Assert.Empty(PyramidPlan.LevelSizes(new Size(100, 30), 40, 0.709f));
        Assert.Empty(PyramidPlan.Create(new Size(100, 30), 40, 0.709f).Tiles);
    }

    [Theory]
    [InlineData(640, 480, 40)]
    [InlineData(1280, 720, 40)]
    [InlineData(1280, 720, 80)]
    [InlineData(1920, 1080, 20)]
    [InlineData(300, 1000, 12)]
    [InlineData(13, 13, 12)]
    public void Levels_sit_on_even_offsets_inside_the_canvas_without_overlapping(int width, int height, int minFace)
    {
        var plan = PyramidPlan.Create(new Size(width, height), minFace, 0.709f);
        var canvas = new Rect(0, 0, plan.CanvasSize.Width, plan.CanvasSize.Height);
        Assert.NotEmpty(plan.Tiles);
        for (var i = 0; i < plan.Tiles.Count; i++)
        {
            var a = plan.Tiles[i].Area;
            Assert.Equal(0, a.X % 2);
            Assert.Equal(0, a.Y % 2);
            Assert.Equal(a, a & canvas);
            Assert.True(plan.Tiles[i].CellsX >= 1 && plan.Tiles[i].CellsY >= 1);
            for (var j = i + 1; j < plan.Tiles.Count; j++)
            {
                var overlap = a & plan.Tiles[j].Area;
                Assert.True(overlap.Width <= 0 || overlap.Height <= 0, $"levels {i} and {j} overlap");
            }
        }

        // Packing should not waste more than about half the canvas.
        double used = plan.Tiles.Sum(t => (double)t.Area.Width * t.Area.Height);
        Assert.True(used / ((double)canvas.Width * canvas.Height) > 0.5);
    }
}
