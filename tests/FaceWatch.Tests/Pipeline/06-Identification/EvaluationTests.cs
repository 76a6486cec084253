using FaceWatch.Pipeline.Identification;

namespace FaceWatch.Tests.Pipeline.Identification;

/// <summary>The operating-point threshold of <c>facewatch evaluate</c> on scores whose answer is known.</summary>
public sealed class EvaluationTests
{
    [Theory]
    [InlineData(0.01, 1)]
    [InlineData(0.05, 5)]
    [InlineData(0.001, 0)]
    [InlineData(1.0, 100)]
    public void Score_threshold_for_a_stranger_rate_lets_exactly_that_many_of_100_distinct_scores_through(double rate, int through)
    {
        var scores = Enumerable.Range(1, 100).Select(i => i / 100.0).Reverse().ToArray();
        var t = Evaluation.ScoreThresholdFor(scores, rate);
        Assert.Equal(through, scores.Count(s => s >= t));
    }

    [Fact]
    public void Tied_scores_at_the_cut_are_all_rejected_so_the_rate_is_never_exceeded()
    {
        double[] scores = [0.9, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
        var t = Evaluation.ScoreThresholdFor(scores, 0.2); // 2 of 10 allowed, but the second and third tie
        Assert.Equal(1, scores.Count(s => s >= t));
    }
}
