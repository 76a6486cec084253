namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// Chooses the open-set thresholds from the enrolled faces themselves.
/// Similarity: every enrolled face plays a stranger against the other people (its similarity to the nearest
/// face of each other person); the threshold accepts <see cref="StrangerAcceptRate"/> of those impostor scores.
/// Probability: cross-validated probabilities of the true person (from the SVM's own calibration folds); the threshold keeps all but
/// <see cref="GenuineRejectRate"/> of them, so it only rejects faces the SVM is torn about.
/// Small galleries (fewer than 3 people or 20 impostor scores) get the defaults.
/// </summary>
public static class OpenSetCalibration
{
    /// <summary>Fraction of impostor scores the similarity threshold lets through.</summary>
    public const double StrangerAcceptRate = 0.01;

    public const double GenuineRejectRate = 0.01;

    /// <summary>
    /// Similarity threshold of galleries too small to calibrate (1 or 2 people, or few faces): a little above the
    /// floor below, because such a gallery says nothing about how close strangers come.
    /// </summary>
    public const double DefaultSimilarity = 0.45;

    /// <summary>
    /// Calibrated similarity thresholds are kept in this range. The floor is the 1 %-strangers point measured for
    /// MobileFaceNet on the shared photos (docs/identification.md): a gallery of a few people cannot show the
    /// look-alikes a stranger may be, so calibration may raise the threshold but not lower it below this.
    /// </summary>
    public const double MinSimilarity = 0.42, MaxSimilarity = 0.65;

    /// <summary>Probability threshold of small galleries, as a multiple of chance (1 / people).</summary>
    public const double DefaultProbabilityOverChance = 1.5;

    public const int MinPeople = 3, MinImpostorScores = 20;

    /// <summary>One-sided 99% point of the standard normal distribution.</summary>
    private const double NormalQuantile99 = 2.326;

    /// <param name="people">The enrolled people.</param>
    /// <param name="genuineProbabilities">Cross-validated probabilities of each face's own person (from <see cref="SvmClassifier.CrossValidatedTrueProbabilities"/>).</param>
    public static OpenSetThresholds Calibrate(IReadOnlyList<EnrolledPerson> people, IReadOnlyList<double> genuineProbabilities)
    {
        var k = people.Count;
        var defaultProbability = k >= 2 ? Math.Min(0.9, DefaultProbabilityOverChance / k) : 0.0;
        if (k < MinPeople)
        {
            return new OpenSetThresholds(defaultProbability, DefaultSimilarity, $"default ({k} {(k == 1 ? "person" : "people")})");
        }

        var impostor = ImpostorScores(people);
        if (impostor.Count < MinImpostorScores)
        {
            return new OpenSetThresholds(defaultProbability, DefaultSimilarity, $"default (only {impostor.Count} impostor scores)");
        }

        // A few dozen scores say little about their own 1% tail: take the larger of the empirical quantile and
        // the normal-tail estimate mean + 2.33 sd, which extrapolates beyond the scores seen.
        var mean = impostor.Average();
        var sd = Math.Sqrt(impostor.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, impostor.Count - 1));
        var tail = Math.Max(VectorMath.Quantile(impostor, 1 - StrangerAcceptRate), mean + (NormalQuantile99 * sd));
        var similarity = Math.Clamp(tail, MinSimilarity, MaxSimilarity);
        var genuine = genuineProbabilities;
        var probability = genuine.Count >= MinImpostorScores
            ? Math.Clamp(VectorMath.Quantile(genuine, GenuineRejectRate), 1.0 / k, defaultProbability)
            : defaultProbability;
        var probabilityMethod = genuine.Count >= MinImpostorScores
            ? $"probability keeps {1 - GenuineRejectRate:P0} of {genuine.Count} cross-validated genuine faces"
            : $"default probability (only {genuine.Count} cross-validated faces)";
        return new OpenSetThresholds(
            probability, similarity,
            $"calibrated: similarity accepts {StrangerAcceptRate:P0} of {impostor.Count} impostor scores; {probabilityMethod}");
    }

    /// <summary>
    /// Every face as a stranger to the others: its similarity to the nearest face of anybody else (a stranger is
    /// compared with the person the SVM picks, which tends to be the most similar one).
    /// </summary>
    public static List<double> ImpostorScores(IReadOnlyList<EnrolledPerson> people)
    {
        var scores = new List<double>();
        foreach (var p in people)
        {
            foreach (var face in p.Faces)
            {
                scores.Add(people.Where(q => !ReferenceEquals(p, q)).Max(q => Gallery.SimilarityTo(q, face.Embedding)));
            }
        }

        return scores;
    }
}
