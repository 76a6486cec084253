using FaceWatch.Pipeline.Detection;

namespace FaceWatch.Tests.Pipeline.Detection;

public class BoxMathTests
{
    private static CandidateBox Box(float x1, float y1, float x2, float y2, float score = 0.9f) => new(x1, y1, x2, y2, score);

    [Fact]
    public void Overlap_by_union_is_intersection_over_union()
    {
        var a = Box(0, 0, 10, 10);
        var b = Box(5, 0, 15, 10);
        Assert.Equal(50f / 150f, BoxMath.Overlap(a, b, NmsMode.Union), 5);
    }

    [Fact]
    public void Overlap_by_min_is_intersection_over_the_smaller_box()
    {
        var big = Box(0, 0, 20, 20);
        var inner = Box(5, 5, 10, 10);
        Assert.Equal(1f, BoxMath.Overlap(big, inner, NmsMode.Min), 5);
        Assert.Equal(25f / 400f, BoxMath.Overlap(big, inner, NmsMode.Union), 5);
    }

    [Fact]
    public void Boxes_that_do_not_touch_do_not_overlap()
    {
        Assert.Equal(0f, BoxMath.Overlap(Box(0, 0, 10, 10), Box(10, 0, 20, 10), NmsMode.Union));
        Assert.Equal(0f, BoxMath.Overlap(Box(0, 0, 10, 10), Box(30, 30, 40, 40), NmsMode.Min));
    }

    [Fact]
    public void Nms_keeps_the_best_of_overlapping_boxes_and_sorts_by_score()
    {
        var boxes = new List<CandidateBox>
        {
            Box(0, 0, 10, 10, 0.7f),
            Box(1, 1, 11, 11, 0.95f), // overlaps the first by IoU 81/119 = 0.68
            Box(50, 50, 60, 60, 0.8f),
            Box(0.5f, 0, 10.5f, 10, 0.6f),
        };

        BoxMath.Nms(boxes, 0.5f, NmsMode.Union);

        Assert.Equal(2, boxes.Count);
        Assert.Equal(0.95f, boxes[0].Score);
        Assert.Equal(0.8f, boxes[1].Score);
    }

    [Fact]
    public void Nms_keeps_boxes_below_the_threshold()
    {
        var boxes = new List<CandidateBox> { Box(0, 0, 10, 10, 0.7f), Box(1, 1, 11, 11, 0.95f) };
        BoxMath.Nms(boxes, 0.7f, NmsMode.Union);
        Assert.Equal(2, boxes.Count);
    }

    [Fact]
    public void Nms_by_min_removes_a_box_inside_a_better_one()
    {
        var boxes = new List<CandidateBox> { Box(0, 0, 100, 100, 0.99f), Box(20, 20, 50, 50, 0.98f) };
        BoxMath.Nms(boxes, 0.7f, NmsMode.Min);
        Assert.Single(boxes);
        Assert.Equal(0.99f, boxes[0].Score);
    }

    [Fact]
    public void Regression_moves_each_corner_by_a_fraction_of_the_size()
    {
        var b = Box(10, 20, 30, 60);
        b.Dx1 = 0.1f;
        b.Dy1 = -0.25f;
        b.Dx2 = 0.5f;
        b.Dy2 = 0f;

        BoxMath.ApplyRegression(ref b);

        Assert.Equal(12f, b.X1, 4);
        Assert.Equal(10f, b.Y1, 4);
        Assert.Equal(40f, b.X2, 4);
        Assert.Equal(60f, b.Y2, 4);
        Assert.Equal(0f, b.Dx1);
    }

    [Fact]
    public void Square_keeps_the_centre_and_takes_the_longer_side()
    {
        var tall = Box(10, 0, 30, 60);
        BoxMath.Square(ref tall);
        Assert.Equal(60f, tall.Width, 4);
        Assert.Equal(60f, tall.Height, 4);
        Assert.Equal(20f, (tall.X1 + tall.X2) / 2, 4);
        Assert.Equal(30f, (tall.Y1 + tall.Y2) / 2, 4);
        Assert.Equal(-10f, tall.X1, 4); // past the edge is fine: crops are padded, not shrunk

        var wide = Box(0, 0, 40, 10);
        BoxMath.Square(ref wide);
        Assert.Equal(40f, wide.Height, 4);
        Assert.Equal(-15f, wide.Y1, 4);
    }
}
