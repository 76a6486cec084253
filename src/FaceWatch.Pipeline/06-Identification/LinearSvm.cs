using FaceWatch.Core.Numerics;

namespace FaceWatch.Pipeline.Identification;

/// <summary>A binary linear decision function <c>w·x + b</c>.</summary>
public sealed record LinearModel(float[] Weights, float Bias)
{
    public double Decision(ReadOnlySpan<float> x) => VectorMath.Dot(Weights, x) + Bias;
}

/// <summary>
/// L2-regularised squared-hinge (L2-loss) linear SVM trained by dual coordinate descent, as LIBLINEAR's
/// default solver (Hsieh et al. 2008). The bias is a constant feature, regularised like LIBLINEAR's <c>-B 1</c>.
/// Deterministic: the coordinate order is shuffled with a fixed seed.
/// </summary>
public static class LinearSvm
{
    /// <summary>Trains one binary SVM. <paramref name="labels"/> are +1 / -1.</summary>
    public static LinearModel Train(
        IReadOnlyList<float[]> samples, IReadOnlyList<int> labels, double c = 1.0, double positiveWeight = 1.0,
        int seed = 1, double tolerance = 1e-3, int maxIterations = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfZero(samples.Count);
        if (samples.Count != labels.Count)
        {
            throw new ArgumentException("One label per sample.", nameof(labels));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c);
        var n = samples.Count;
        var dim = samples[0].Length;
        var w = new double[dim + 1]; // last entry: bias, feature value 1
        var alpha = new double[n];
        var diag = new double[n];
        var qii = new double[n];
        for (var i = 0; i < n; i++)
        {
            // L2 loss: the box constraint becomes a diagonal term 1/(2C_i).
            var ci = c * (labels[i] > 0 ? positiveWeight : 1.0);
            diag[i] = 0.5 / ci;
            qii[i] = VectorMath.Dot(samples[i], samples[i]) + 1.0 + diag[i];
        }

        var order = Enumerable.Range(0, n).ToArray();
        var rng = new Random(seed);
        for (var iter = 0; iter < maxIterations; iter++)
        {
            rng.Shuffle(order);
            double maxPg = double.NegativeInfinity, minPg = double.PositiveInfinity;
            foreach (var i in order)
            {
                var x = samples[i];
                double y = labels[i] > 0 ? 1 : -1;
                double wx = w[dim];
                for (var k = 0; k < dim; k++)
                {
                    wx += w[k] * x[k];
                }

                var g = (y * wx) - 1 + (diag[i] * alpha[i]);
                var pg = alpha[i] == 0 ? Math.Min(g, 0) : g;
                maxPg = Math.Max(maxPg, pg);
                minPg = Math.Min(minPg, pg);
                if (Math.Abs(pg) > 1e-12)
                {
                    var old = alpha[i];
                    alpha[i] = Math.Max(old - (g / qii[i]), 0);
                    var d = (alpha[i] - old) * y;
                    for (var k = 0; k < dim; k++)
                    {
                        w[k] += d * x[k];
                    }

                    w[dim] += d;
                }
            }

            // LIBLINEAR's stopping rule: the spread of projected gradients over one pass.
            if (maxPg - minPg <= tolerance)
            {
                break;
            }
        }

        var weights = new float[dim];
        for (var k = 0; k < dim; k++)
        {
            weights[k] = (float)w[k];
        }

        return new LinearModel(weights, (float)w[dim]);
    }
}
