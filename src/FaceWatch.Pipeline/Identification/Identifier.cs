namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// Names a face embedding against a gallery with the open-set rule: the SVM proposes the most probable
/// person, and the face is that person only if the probability and the similarity to that person's
/// enrolled faces both clear the gallery's thresholds. Immutable and thread-safe.
/// </summary>
public sealed class Identifier
{
    private const int MaxStackDimension = 1024;

    public Identifier(Gallery gallery)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        Gallery = gallery;
    }

    public Gallery Gallery { get; }

    /// <summary>Identifies one L2-normalised embedding (normalised again here, so raw vectors work too).</summary>
    public IdentityMatch Identify(float[] embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
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
        int index;
        double probability;
        if (Gallery.Classifier is { } svm)
        {
            (index, probability) = svm.Predict(x);
        }
        else
        {
            // One person: no SVM, the similarity rule alone decides.
            (index, probability) = (0, 1.0);
        }

        var person = people[index];
        var similarity = Gallery.SimilarityTo(person, x);
        string? second = null;
        double? secondSimilarity = null;
        for (var k = 0; k < people.Count; k++)
        {
            if (k != index && Gallery.SimilarityTo(people[k], x) is var s && (secondSimilarity is null || s > secondSimilarity))
            {
                (second, secondSimilarity) = (people[k].Name, s);
            }
        }

        var t = Gallery.Thresholds;
        var similarityOk = similarity >= t.Similarity;
        var probabilityOk = probability >= t.Probability;
        var known = similarityOk && probabilityOk;
        RejectionReason? rejectedBy = known ? null
            : !similarityOk && !probabilityOk ? RejectionReason.Both
            : !similarityOk ? RejectionReason.Similarity : RejectionReason.Probability;
        return new IdentityMatch(known ? person.Name : IdentityMatch.Unknown, known, probability, similarity, person.Name)
        {
            SecondNearest = second,
            SecondSimilarity = secondSimilarity,
            RejectedBy = rejectedBy,
            SimilarityThreshold = t.Similarity,
            ProbabilityThreshold = t.Probability,
        };
    }
}
