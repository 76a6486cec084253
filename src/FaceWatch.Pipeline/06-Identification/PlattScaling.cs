namespace FaceWatch.Pipeline.Identification;

/// <summary>A sigmoid <c>P(y=1|f) = 1 / (1 + exp(A f + B))</c> mapping decision values to probabilities.</summary>
public sealed record PlattSigmoid(double A, double B)
{
    public double Probability(double decision)
    {
        var fApB = (decision * A) + B;
        // Written both ways to stay finite for large |fApB|.
        return fApB >= 0 ? Math.Exp(-fApB) / (1.0 + Math.Exp(-fApB)) : 1.0 / (1 + Math.Exp(fApB));
    }

    /// <summary>
    /// Fits A, B by Newton's method with backtracking on regularised targets, as in Lin, Lin and Weng (2007),
    /// "A note on Platt's probabilistic outputs for support vector machines" (libsvm's <c>sigmoid_train</c>).
    /// </summary>
    public static PlattSigmoid Fit(IReadOnlyList<double> decisions, IReadOnlyList<bool> positive)
    {
        var n = decisions.Count;
        double prior1 = positive.Count(p => p), prior0 = n - prior1;
        const int maxIter = 100;
        const double minStep = 1e-10, sigma = 1e-12, eps = 1e-5;
        var hiTarget = (prior1 + 1.0) / (prior1 + 2.0);
        var loTarget = 1 / (prior0 + 2.0);
        var t = new double[n];
        for (var i = 0; i < n; i++)
        {
            t[i] = positive[i] ? hiTarget : loTarget;
        }

        double a = 0, b = Math.Log((prior0 + 1.0) / (prior1 + 1.0));
        var fval = Objective(decisions, t, a, b);
        for (var iter = 0; iter < maxIter; iter++)
        {
            double h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0;
            for (var i = 0; i < n; i++)
            {
                var fApB = (decisions[i] * a) + b;
                double p, q;
                if (fApB >= 0)
                {
                    p = Math.Exp(-fApB) / (1.0 + Math.Exp(-fApB));
                    q = 1.0 / (1.0 + Math.Exp(-fApB));
                }
                else
                {
                    p = 1.0 / (1.0 + Math.Exp(fApB));
                    q = Math.Exp(fApB) / (1.0 + Math.Exp(fApB));
                }

                var d2 = p * q;
                h11 += decisions[i] * decisions[i] * d2;
                h22 += d2;
                h21 += decisions[i] * d2;
                var d1 = t[i] - p;
                g1 += decisions[i] * d1;
                g2 += d1;
            }

            if (Math.Abs(g1) < eps && Math.Abs(g2) < eps)
            {
                break;
            }

            var det = (h11 * h22) - (h21 * h21);
            var dA = -((h22 * g1) - (h21 * g2)) / det;
            var dB = -((-h21 * g1) + (h11 * g2)) / det;
            var gd = (g1 * dA) + (g2 * dB);
            var step = 1.0;
            while (step >= minStep)
            {
                var newA = a + (step * dA);
                var newB = b + (step * dB);
                var newf = Objective(decisions, t, newA, newB);
                if (newf < fval + (0.0001 * step * gd))
                {
                    a = newA;
                    b = newB;
                    fval = newf;
                    break;
                }

                step /= 2.0;
            }

            if (step < minStep)
            {
                break; // line search failed: keep the last good point
            }
        }

        return new PlattSigmoid(a, b);
    }

    /// <summary>The regularised cross-entropy of targets <paramref name="t"/> under the sigmoid (a, b), written to stay finite.</summary>
    private static double Objective(IReadOnlyList<double> decisions, double[] t, double a, double b)
    {
        double f = 0;
        for (var i = 0; i < t.Length; i++)
        {
            var fApB = (decisions[i] * a) + b;
            f += fApB >= 0 ? (t[i] * fApB) + Math.Log(1 + Math.Exp(-fApB)) : ((t[i] - 1) * fApB) + Math.Log(1 + Math.Exp(fApB));
        }

        return f;
    }
}
