using FaceWatch.Pipeline.Identification;

using FaceWatch.Core.Numerics;
namespace FaceWatch.Tests.Pipeline.Identification;

public sealed class SvmClassifierTests
{
    /// <summary>Unit vectors around <paramref name="k"/> well-spread random centres, with noise of <paramref name="noise"/>.</summary>
    internal static (List<float[]> X, List<int> Y) Clusters(int k, int perClass, int dim, double noise, int seed)
    {
        var rng = new Random(seed);
        var centres = Enumerable.Range(0, k).Select(_ => VectorMath.Normalized(Gaussian(rng, dim, 1))).ToArray();
        var x = new List<float[]>();
        var y = new List<int>();
        for (var c = 0; c < k; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                var v = Gaussian(rng, dim, noise / Math.Sqrt(dim));
                for (var d = 0; d < dim; d++)
                {
                    v[d] += centres[c][d];
                }

                x.Add(VectorMath.Normalized(v));
                y.Add(c);
            }
        }

        return (x, y);
    }

    private static float[] Gaussian(Random rng, int dim, double sd) =>
        Enumerable.Range(0, dim).Select(_ => (float)(sd * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();

    [Fact]
    public void Binary_svm_separates_linearly_separable_points_with_a_margin()
    {
        // Points on either side of the plane x0 + x1 = 0.5, at least 0.2 away from it.
        var rng = new Random(7);
        var x = new List<float[]>();
        var y = new List<int>();
        while (x.Count < 200)
        {
            var p = new[] { (float)(rng.NextDouble() * 2 - 1), (float)(rng.NextDouble() * 2 - 1) };
            var side = p[0] + p[1] - 0.5;
            if (Math.Abs(side) < 0.2)
            {
                continue;
            }

            x.Add(p);
            y.Add(side > 0 ? 1 : -1);
        }

        var model = LinearSvm.Train(x, y, c: 100);
        for (var i = 0; i < x.Count; i++)
        {
            Assert.Equal(y[i] > 0, model.Decision(x[i]) > 0);
        }

        // The learnt plane is close to the true one: w proportional to (1, 1), bias near -0.5 * w0.
        Assert.InRange(model.Weights[0] / model.Weights[1], 0.8, 1.25);
        Assert.InRange(-model.Bias / model.Weights[0], 0.35, 0.65);
    }

    [Fact]
    public void Training_is_deterministic()
    {
        var (x, y) = Clusters(4, 20, 16, 1.0, seed: 3);
        var names = new[] { "a", "b", "c", "d" };
        var first = SvmClassifier.Train(x, y, names);
        var second = SvmClassifier.Train(x, y, names);
        for (var k = 0; k < 4; k++)
        {
            Assert.Equal(first.Classes[k].Model.Weights, second.Classes[k].Model.Weights);
            Assert.Equal(first.Classes[k].Sigmoid, second.Classes[k].Sigmoid);
        }
    }

    [Fact]
    public void Separable_clusters_are_classified_perfectly_with_high_probability()
    {
        var (all, labels) = Clusters(5, 60, 32, 0.3, seed: 1);
        var x = all.Where((_, i) => i % 2 == 0).ToList();
        var y = labels.Where((_, i) => i % 2 == 0).ToList();
        var testX = all.Where((_, i) => i % 2 == 1).ToList();
        var testY = labels.Where((_, i) => i % 2 == 1).ToList();
        var svm = SvmClassifier.Train(x, y, ["a", "b", "c", "d", "e"]);
        var correct = testX.Select((v, i) => svm.Predict(v).Index == testY[i]).Count(ok => ok);
        Assert.Equal(testX.Count, correct);
        Assert.All(testX, v => Assert.True(svm.Predict(v).Probability > 0.8));
        Assert.All(testX, v => Assert.Equal(1.0, svm.Probabilities(v).Sum(), 6));
    }

    [Fact]
    public void Overlapping_clusters_score_well_above_chance_but_not_perfectly_and_probabilities_are_calibrated()
    {
        // Noise large enough that the classes overlap: accuracy must land between chance and perfect.
        var (all, labels) = Clusters(3, 200, 8, 2.5, seed: 11);
        var train = Enumerable.Range(0, all.Count).Where(i => i % 2 == 0).ToArray();
        var test = Enumerable.Range(0, all.Count).Where(i => i % 2 == 1).ToArray();
        var svm = SvmClassifier.Train(train.Select(i => all[i]).ToList(), train.Select(i => labels[i]).ToList(), ["a", "b", "c"]);
        var predictions = test.Select(i => (svm.Predict(all[i]), labels[i])).ToArray();
        var accuracy = predictions.Count(p => p.Item1.Index == p.Item2) / (double)test.Length;
        Assert.InRange(accuracy, 0.5, 0.97);

        // Calibration: the mean predicted probability of the top class is close to the accuracy.
        var meanConfidence = predictions.Average(p => p.Item1.Probability);
        Assert.InRange(meanConfidence - accuracy, -0.1, 0.1);
    }

    [Fact]
    public void Platt_sigmoid_maps_positive_decisions_to_high_probability()
    {
        var decisions = new List<double>();
        var positive = new List<bool>();
        for (var i = -50; i <= 50; i++)
        {
            decisions.Add(i / 10.0);
            positive.Add(i > 0);
        }

        var s = PlattSigmoid.Fit(decisions, positive);
        Assert.True(s.A < 0);
        Assert.True(s.Probability(2) > 0.95);
        Assert.True(s.Probability(-2) < 0.05);
        Assert.InRange(s.Probability(0), 0.2, 0.8);
    }

    [Fact]
    public void A_class_with_one_sample_still_trains()
    {
        var (x, y) = Clusters(3, 1, 16, 0.1, seed: 5);
        var svm = SvmClassifier.Train(x, y, ["a", "b", "c"]);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, svm.Predict(x[i]).Index);
        }
    }
}
