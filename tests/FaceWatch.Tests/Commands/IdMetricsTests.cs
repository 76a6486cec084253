using FaceWatch.Commands.Scenarios;
using OpenCvSharp;

namespace FaceWatch.Tests.Commands;

public sealed class IdMetricsTests
{
    private static readonly Rect2f A = new(0, 0, 100, 100);
    private static readonly Rect2f B = new(300, 0, 100, 100);
    private static readonly Rect2f C = new(600, 0, 100, 100);

    [Fact]
    public void A_swap_half_way_and_a_false_track_give_the_hand_computed_idf1_and_two_switches()
    {
        // Truth 1 at A and 2 at B; tracks 10 and 20 follow them, swap at frame 2; frame 3: truth 2 gone, a stray track 30 at C.
        IdFrame[] frames =
        [
            new(0, [new(1, A), new(2, B)], [new(10, A), new(20, B)]),
            new(1, [new(1, A), new(2, B)], [new(10, A), new(20, B)]),
            new(2, [new(1, A), new(2, B)], [new(20, A), new(10, B)]),
            new(3, [new(1, A)], [new(20, A), new(30, C)]),
        ];

        var result = IdMetrics.Compute(frames);

        // Pair overlaps: (1,10)=2, (2,20)=2, (1,20)=2, (2,10)=1. Best one-to-one: 1-10 + 2-20 = 4 (the swap pairing gives 3).
        Assert.Equal(7, result.TruthBoxes);
        Assert.Equal(8, result.PredictedBoxes);
        Assert.Equal(7, result.Matches);
        Assert.Equal(4, result.IdTp);
        Assert.Equal(4, result.IdFp);
        Assert.Equal(3, result.IdFn);
        Assert.Equal(8.0 / 15, result.Idf1, 6);
        Assert.Equal(2, result.IdSwitches); // each truth changes track once, at frame 2
    }

    [Fact]
    public void A_perfect_run_has_idf1_one_and_no_switch()
    {
        IdFrame[] frames = [.. Enumerable.Range(0, 5).Select(f => new IdFrame(f, [new(1, A)], [new(7, new Rect2f(2, 2, 100, 100))]))];

        var result = IdMetrics.Compute(frames);

        Assert.Equal(1.0, result.Idf1, 6);
        Assert.Equal(0, result.IdSwitches);
    }

    [Fact]
    public void Boxes_below_iou_one_half_are_not_matched()
    {
        // IoU of two 100x100 boxes shifted by 50 px: 5000 / 15000 = 0.33.
        var shifted = new Rect2f(50, 0, 100, 100);
        Assert.Equal(1.0 / 3, FaceWatch.Pipeline.Tracking.FaceTracker.Iou(A, shifted), 6);

        var result = IdMetrics.Compute([new IdFrame(0, [new(1, A)], [new(9, shifted)])]);

        Assert.Equal(0, result.Matches);
        Assert.Equal(0, result.IdTp);
        Assert.Equal(0, result.Idf1, 6);
    }

    [Fact]
    public void The_global_assignment_beats_taking_the_largest_overlap_first()
    {
        // Greedy takes 3 (row 0 - col 0) and is left with 0; the best assignment is 2 + 2.
        Assert.Equal(4, IdMetrics.MaxAssignment(new[,] { { 3, 2 }, { 2, 0 } }));
        Assert.Equal(9, IdMetrics.MaxAssignment(new[,] { { 1, 5, 0 }, { 4, 1, 0 } }));
        Assert.Equal(7, IdMetrics.MaxAssignment(new[,] { { 1 }, { 7 }, { 2 } }));
    }
}
