using FaceWatch.Core.Numerics;

namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// Names a face embedding against a gallery with the open-set rule: the candidate is the nearest enrolled person
/// (similarity as <see cref="Gallery.SimilarityTo"/> measures it), and the face is that person only if its score
/// (<see cref="OpenSetScore"/>: the similarity plus the margin over the second nearest, weighted as the model's prior
/// says) reaches the gallery's score threshold and the SVM does not find that person unlikely (probability threshold).
/// Immutable and thread-safe.
/// </summary>
public sealed class Identifier
{
    private const int MaxStackDimension = 1024;

    // Negatives indexed once per gallery: per person (in People order) and the ignored strangers. Usually empty or a
    // handful, so the hot path pays one length check, or a few dot products.
    private readonly NegativeFace[][] _rejected;
    private readonly NegativeFace[] _ignored;
    private readonly double _sameFace;

    public Identifier(Gallery gallery)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        Gallery = gallery;
        var people = gallery.People;
        _rejected = new NegativeFace[people.Count][];
        for (var k = 0; k < people.Count; k++)
        {
            var name = people[k].Name;
            _rejected[k] = [.. gallery.Negatives.Where(n => n.Person == name).Select(Unit)];
        }

        _ignored = [.. gallery.Negatives.Where(n => n.Person is null).Select(Unit)];
        _sameFace = gallery.Negatives.Count > 0 ? gallery.SameFace.Cosine : double.NaN;
    }

    public Gallery Gallery { get; }

    /// <summary>Identifies one L2-normalised embedding (normalised again here, so raw vectors work too).</summary>
    public IdentityMatch Identify(float[] embedding) => Identify(embedding, 1);

    /// <summary>
    /// Identifies accumulated evidence: <paramref name="embedding"/> is the mean of <paramref name="observations"/>
    /// embeddings of one face (a visit's template), held to the gallery's threshold for that much evidence
    /// (<see cref="OpenSetThresholds.ScoreFor"/>), which keeps the share of strangers accepted at the operating point.
    /// </summary>
    public IdentityMatch Identify(ReadOnlySpan<float> embedding, int observations)
    {
        var people = Gallery.People;
        if (people.Count == 0)
        {
            return new IdentityMatch(IdentityMatch.Unknown, false, 0, 0, null);
        }

        if (embedding.Length != Gallery.Model.Dimension)
        {
            throw new ArgumentException(
                $"Embedding has {embedding.Length} values, the gallery's model makes {Gallery.Model.Dimension}.", nameof(embedding));
        }

        // Normalised into a stack buffer: this runs per face, and the copy is only needed for this call.
        Span<float> x = embedding.Length <= MaxStackDimension ? stackalloc float[embedding.Length] : new float[embedding.Length];
        embedding.CopyTo(x);
        VectorMath.NormalizeInPlace(x);
        int index = -1, secondIndex = -1;
        double similarity = double.NegativeInfinity, secondSimilarity = double.NegativeInfinity;
        for (var k = 0; k < people.Count; k++)
        {
            var s = Gallery.SimilarityTo(people[k], x);
            if (s > similarity)
            {
                (secondIndex, secondSimilarity) = (index, similarity);
                (index, similarity) = (k, s);
            }
            else if (s > secondSimilarity)
            {
                (secondIndex, secondSimilarity) = (k, s);
            }
        }

        // One person: no SVM, the score decides alone.
        var probabilities = Gallery.Classifier?.Probabilities(x);
        var probability = probabilities is null ? 1.0 : probabilities[index];
        var classifierChoice = probabilities is null ? null : people[Array.IndexOf(probabilities, probabilities.Max())].Name;
        var person = people[index];
        double? second = secondIndex >= 0 ? secondSimilarity : null;
        var t = Gallery.Thresholds;
        var score = OpenSetScore.Of(similarity, second, t.MarginWeight);
        var scoreThreshold = t.ScoreFor(observations);
        var scoreOk = score >= scoreThreshold;
        var probabilityOk = probability >= t.Probability;
        var known = scoreOk && probabilityOk;
        RejectionReason? rejectedBy = known ? null
            : !scoreOk && !probabilityOk ? RejectionReason.Both
            : !scoreOk ? RejectionReason.Score : RejectionReason.Probability;
        var name = known ? person.Name : IdentityMatch.Unknown;
        string? negative = null;
        double? negativeSimilarity = null;
        if (known && Nearest(_rejected[index], x) is { Face: { } rejected } r && r.Similarity >= _sameFace && r.Similarity > similarity)
        {
            (known, name, rejectedBy, negative, negativeSimilarity) = (false, IdentityMatch.Unknown, RejectionReason.Negative, rejected.Source, r.Similarity);
        }

        if (Nearest(_ignored, x) is { Face: { } anchor } a && a.Similarity >= _sameFace && (!known || a.Similarity > similarity))
        {
            (known, name, negative, negativeSimilarity) = (false, IdentityMatch.Ignored, anchor.Source, a.Similarity);
        }

        return new IdentityMatch(name, known, probability, similarity, person.Name)
        {
            Negative = negative,
            NegativeSimilarity = negativeSimilarity,
            SecondNearest = secondIndex >= 0 ? people[secondIndex].Name : null,
            SecondSimilarity = second,
            Score = score,
            ClassifierChoice = classifierChoice,
            Observations = Math.Max(1, observations),
            RejectedBy = rejectedBy,
            ScoreThreshold = scoreThreshold,
            ProbabilityThreshold = t.Probability,
        };
    }

    private static NegativeFace Unit(NegativeFace n) => n with { Embedding = VectorMath.Normalized(n.Embedding) };

    private static (NegativeFace? Face, double Similarity) Nearest(NegativeFace[] negatives, ReadOnlySpan<float> x)
    {
        NegativeFace? nearest = null;
        var best = double.NegativeInfinity;
        foreach (var n in negatives)
        {
            var s = VectorMath.Dot(n.Embedding, x);
            if (s > best)
            {
                (nearest, best) = (n, s);
            }
        }

        return (nearest, best);
    }
}
