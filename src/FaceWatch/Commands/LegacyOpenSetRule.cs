using FaceWatch.Pipeline.Identification;

using FaceWatch.Core.Numerics;
namespace FaceWatch.Commands;

/// <summary>
/// The open-set rule of FaceWatch 0.2 (before issue 11), kept only so the benches can print before and after side by
/// side on the same faces: the SVM's top-1 is the candidate, and it is named if its probability and the similarity to
/// it both clear thresholds calibrated from the gallery alone (similarity: the larger of the 99 % point and mean +
/// 2.33 sd of the gallery's impostor scores, clamped to 0.42..0.65; probability: the 1 % point of cross-validated
/// genuine probabilities, clamped to 1..1.5 times chance; defaults 0.45 and 1.5 x chance below 3 people or 20 scores).
/// </summary>
internal sealed class LegacyOpenSetRule
{
    private readonly Gallery _gallery;

    public LegacyOpenSetRule(Gallery gallery)
    {
        _gallery = gallery;
        var k = gallery.People.Count;
        var defaultProbability = k >= 2 ? Math.Min(0.9, 1.5 / k) : 0.0;
        (Probability, Similarity) = (defaultProbability, 0.45);
        var impostor = k >= 2 ? OpenSetCalibration.ImpostorScores(gallery.People, 0) : [];
        if (k >= 3 && impostor.Count >= 20)
        {
            var mean = impostor.Average();
            var sd = Math.Sqrt(impostor.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, impostor.Count - 1));
            Similarity = Math.Clamp(Math.Max(VectorMath.Quantile(impostor, 0.99), mean + (2.326 * sd)), 0.42, 0.65);
            var genuine = gallery.Classifier?.CrossValidatedTrueProbabilities ?? [];
            Probability = genuine.Count >= 20 ? Math.Clamp(VectorMath.Quantile(genuine, 0.01), 1.0 / k, defaultProbability) : defaultProbability;
        }
    }

    public double Probability { get; }

    public double Similarity { get; }

    /// <summary>The old answer for one L2-normalised embedding: the name, or <c>unknown</c>.</summary>
    public string Name(float[] embedding)
    {
        var (index, probability) = _gallery.Classifier is { } svm ? svm.Predict(embedding) : (0, 1.0);
        var person = _gallery.People[index];
        return probability >= Probability && Gallery.SimilarityTo(person, embedding) >= Similarity ? person.Name : IdentityMatch.Unknown;
    }
}
