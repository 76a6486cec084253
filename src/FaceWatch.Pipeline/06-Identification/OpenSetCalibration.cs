using FaceWatch.Core.Numerics;

namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// The open-set rule's thresholds: a face is its nearest enrolled person only if its score (<see cref="OpenSetScore"/>)
/// is at least <see cref="Score"/> and the SVM gives that person a probability of at least <see cref="Probability"/>.
/// <see cref="EvidenceScores"/> are the score thresholds for a visit's accumulated evidence (the mean of 2, 4 or 8
/// embeddings, <see cref="ScorePrior.EvidenceSizes"/>); empty when there is no prior to take them from.
/// <see cref="Method"/> says how they were chosen.
/// </summary>
public sealed record OpenSetThresholds(double Probability, double Score, string Method)
{
    public double MarginWeight { get; init; }

    /// <summary>The share of strangers the thresholds are meant to let through (the operating point).</summary>
    public double StrangerRate { get; init; } = OpenSetCalibration.DefaultStrangerRate;

    public IReadOnlyList<double> EvidenceScores { get; init; } = [];

    /// <summary>The prior used (<see cref="ScorePrior.Describe"/>), null when calibrated from the gallery alone.</summary>
    public string? Prior { get; init; }

    /// <summary>How many impostor scores the gallery's own faces added.</summary>
    public int GalleryScores { get; init; }

    public bool Equals(OpenSetThresholds? other) =>
        other is not null && Probability == other.Probability && Score == other.Score && Method == other.Method && MarginWeight == other.MarginWeight
        && StrangerRate == other.StrangerRate && EvidenceScores.SequenceEqual(other.EvidenceScores) && Prior == other.Prior && GalleryScores == other.GalleryScores;

    public override int GetHashCode() => HashCode.Combine(Probability, Score, Method, StrangerRate, EvidenceScores.Count, Prior, GalleryScores);

    /// <summary>The score threshold for evidence from <paramref name="observations"/> embeddings (the largest measured size not above it).</summary>
    public double ScoreFor(int observations)
    {
        var threshold = Score;
        for (var i = 1; i < ScorePrior.EvidenceSizes.Length && i - 1 < EvidenceScores.Count; i++)
        {
            if (observations >= ScorePrior.EvidenceSizes[i])
            {
                threshold = EvidenceScores[i - 1];
            }
        }

        return threshold;
    }
}

/// <summary>
/// Chooses the open-set thresholds for a gallery (issue 11). With a model prior (<see cref="ScorePrior"/>, measured once
/// on hundreds of people), the score threshold is the prior's stranger tail for a gallery of this shape (people, faces
/// per person) at the operating point, shifted by what the gallery's own impostor scores show (every enrolled face as a
/// stranger to the other people): the shift is the difference between their mean and the prior's mean for that shape,
/// weighted by n / (n + <see cref="PriorStrength"/>) for n scores, so a gallery of 3 people x 4 photos moves the
/// threshold by a tenth of what its scores suggest and a gallery of 50 x 10 by most of it. Without a prior the gallery's
/// scores alone decide as before (quantile or normal tail, clamped), and there are no evidence thresholds.
/// The probability threshold only vetoes a nearest person the SVM finds unlikely: the 1 % point of cross-validated
/// genuine probabilities, kept between half and all of chance (1 / people).
/// </summary>
public static class OpenSetCalibration
{
    public const double DefaultStrangerRate = 0.01;

    /// <summary>Operating points the prior can give (its measured rates).</summary>
    public const double MinStrangerRate = 0.001, MaxStrangerRate = 0.05;

    /// <summary>
    /// Share of the operating point each evidence threshold gets. A visit is judged again as its evidence grows (2, 4, 8
    /// faces), and every judgement is a chance for a stranger to pass: thirds keep their sum at the operating point.
    /// Measured: at the full rate, means of two photos of a stranger passed 1.2-2.1 % of the time for a 1 % aim
    /// (docs/identification.md).
    /// </summary>
    public const double EvidenceRateShare = 1.0 / 3;

    /// <summary>How many gallery impostor scores count as much as the prior.</summary>
    public const double PriorStrength = 100;

    /// <summary>The gallery's own scores move the prior's threshold by at most this much.</summary>
    public const double MaxShift = 0.1;

    public const double GenuineRejectRate = 0.01;

    /// <summary>Score threshold without a prior for galleries too small to calibrate (1 or 2 people, or few faces).</summary>
    public const double DefaultScore = 0.45;

    /// <summary>Without a prior, calibrated thresholds are kept in this range (the floor: MobileFaceNet's 1 % point on the shared photos).</summary>
    public const double MinScore = 0.42, MaxScore = 0.65;

    public const int MinPeople = 3, MinImpostorScores = 20;

    /// <param name="people">The enrolled people.</param>
    /// <param name="genuineProbabilities">Cross-validated probabilities of each face's own person (from <see cref="SvmClassifier.CrossValidatedTrueProbabilities"/>).</param>
    /// <param name="prior">The embedding model's prior, null when there is none.</param>
    /// <param name="strangerRate">The operating point: share of strangers accepted.</param>
    public static OpenSetThresholds Calibrate(
        IReadOnlyList<EnrolledPerson> people, IReadOnlyList<double> genuineProbabilities, ScorePrior? prior, double strangerRate = DefaultStrangerRate)
    {
        if (!double.IsFinite(strangerRate) || strangerRate < MinStrangerRate || strangerRate > MaxStrangerRate)
        {
            throw new ArgumentOutOfRangeException(nameof(strangerRate), strangerRate, $"The share of strangers accepted must be between {MinStrangerRate} and {MaxStrangerRate}.");
        }

        var k = people.Count;
        var marginWeight = prior?.MarginWeight ?? 0;
        var impostor = k >= 2 ? ImpostorScores(people, marginWeight) : [];
        var (probability, probabilityMethod) = ProbabilityThreshold(k, genuineProbabilities);
        if (prior is not null && k >= 1)
        {
            var faces = Median(people.Select(p => (double)p.Faces.Count));
            var tails = ScorePrior.EvidenceSizes
                .Select(n => prior.StrangerTail(k, faces, n, n == 1 ? strangerRate : Math.Max(MinStrangerRate, strangerRate * EvidenceRateShare))).ToArray();
            double shift = 0, weight = 0, mean = double.NaN, expected = double.NaN;
            if (impostor.Count > 0)
            {
                mean = impostor.Average();
                expected = prior.StrangerMean(k - 1, faces);
                weight = impostor.Count / (impostor.Count + PriorStrength);
                shift = Math.Clamp(weight * (mean - expected), -MaxShift, MaxShift);
            }

            // More evidence never lowers the bar below that of fewer observations (the prior's tails are noisy).
            var thresholds = new double[tails.Length];
            for (var i = 0; i < tails.Length; i++)
            {
                thresholds[i] = Math.Clamp(Math.Max(tails[i] + shift, i == 0 ? double.NegativeInfinity : thresholds[i - 1]), -1, 1);
            }

            var galleryPart = impostor.Count == 0
                ? "no impostor scores from a one-person gallery"
                : FormattableString.Invariant($"the gallery's {impostor.Count} impostor scores (mean {mean:F3}, prior {expected:F3}) shift it by {shift:+0.000;-0.000} (weight {weight:P0})");
            return new OpenSetThresholds(
                probability, thresholds[0],
                FormattableString.Invariant(
                    $"prior: {tails[0]:F3} accepts {strangerRate:0.###%} of strangers for {k} {(k == 1 ? "person" : "people")} x {faces:0.#} faces; {galleryPart}; {probabilityMethod}"))
            {
                MarginWeight = marginWeight, StrangerRate = strangerRate, EvidenceScores = thresholds[1..], Prior = prior.Describe(), GalleryScores = impostor.Count,
            };
        }

        if (k < MinPeople || impostor.Count < MinImpostorScores)
        {
            return new OpenSetThresholds(
                probability, DefaultScore,
                $"no prior for this embedding model (run 'facewatch models calibrate'); default score, {(k < MinPeople ? $"{k} {(k == 1 ? "person" : "people")}" : $"only {impostor.Count} impostor scores")}")
            {
                StrangerRate = strangerRate, GalleryScores = impostor.Count,
            };
        }

        // A few dozen scores say little about their own tail: the larger of the empirical quantile and the normal tail.
        var m = impostor.Average();
        var sd = Math.Sqrt(impostor.Sum(x => (x - m) * (x - m)) / Math.Max(1, impostor.Count - 1));
        var tail = Math.Max(VectorMath.Quantile(impostor, 1 - strangerRate), m + (NormalQuantile(1 - strangerRate) * sd));
        return new OpenSetThresholds(
            probability, Math.Clamp(tail, MinScore, MaxScore),
            $"no prior for this embedding model (run 'facewatch models calibrate'); score accepts {strangerRate:0.###%} of {impostor.Count} impostor scores; {probabilityMethod}")
        {
            StrangerRate = strangerRate, GalleryScores = impostor.Count,
        };
    }

    /// <summary>
    /// Every face as a stranger to the others: its score against the gallery without its own person (a stranger is
    /// compared with everybody enrolled, and the nearest decides).
    /// </summary>
    public static List<double> ImpostorScores(IReadOnlyList<EnrolledPerson> people, double marginWeight)
    {
        var scores = new List<double>();
        foreach (var p in people)
        {
            foreach (var face in p.Faces)
            {
                double best = double.NegativeInfinity, second = double.NegativeInfinity;
                foreach (var q in people)
                {
                    if (ReferenceEquals(p, q))
                    {
                        continue;
                    }

                    var s = Gallery.SimilarityTo(q, face.Embedding);
                    if (s > best)
                    {
                        (second, best) = (best, s);
                    }
                    else if (s > second)
                    {
                        second = s;
                    }
                }

                scores.Add(OpenSetScore.Of(best, double.IsNegativeInfinity(second) ? null : second, marginWeight));
            }
        }

        return scores;
    }

    private static (double Threshold, string Method) ProbabilityThreshold(int k, IReadOnlyList<double> genuine)
    {
        if (k < 2)
        {
            return (0, "one person: no probability");
        }

        var chance = 1.0 / k;
        return genuine.Count >= MinImpostorScores
            ? (Math.Clamp(VectorMath.Quantile(genuine, GenuineRejectRate), chance / 2, chance), $"probability keeps {1 - GenuineRejectRate:P0} of {genuine.Count} cross-validated genuine faces (within half to all of chance)")
            : (chance / 2, $"probability half of chance (only {genuine.Count} cross-validated faces)");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 1 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Inverse of the standard normal distribution function (Acklam's rational approximation, |error| below 1.2e-9).</summary>
    internal static double NormalQuantile(double p)
    {
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        static double Poly(double[] k, double x) => k.Aggregate(0.0, (acc, v) => (acc * x) + v);
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return Poly(c, q) / ((Poly(d, q) * q) + 1);
        }

        if (p > 1 - low)
        {
            return -NormalQuantile(1 - p);
        }

        var r = p - 0.5;
        var s = r * r;
        return Poly(a, s) * r / ((Poly(b, s) * s) + 1);
    }
}
