namespace FaceWatch.Pipeline.Identification;

/// <summary>Which threshold of the open-set rule turned a face into <c>unknown</c>.</summary>
public enum RejectionReason
{
    /// <summary>The similarity to the candidate was below the gallery's similarity threshold (the probability cleared its own).</summary>
    Similarity,

    /// <summary>The SVM probability of the candidate was below the gallery's probability threshold (the similarity cleared its own).</summary>
    Probability,

    /// <summary>Both were below their thresholds.</summary>
    Both,
}

/// <summary>
/// The answer for one face. <see cref="Name"/> is the enrolled name when <see cref="Known"/>, else
/// <see cref="Unknown"/>; <see cref="Candidate"/> is the closest enrolled person either way (the SVM's top-1, null for
/// an empty gallery). <see cref="Probability"/> is the SVM probability of the candidate (1 with a single enrolled
/// person), <see cref="Similarity"/> the mean cosine similarity to the candidate's two most similar enrolled faces.
/// </summary>
public sealed record IdentityMatch(string Name, bool Known, double Probability, double Similarity, string? Candidate)
{
    public const string Unknown = "unknown";

    /// <summary>The most similar enrolled person other than <see cref="Candidate"/> (null with fewer than two people).</summary>
    public string? SecondNearest { get; init; }

    /// <summary>Similarity (same measure as <see cref="Similarity"/>) to <see cref="SecondNearest"/>; null with fewer than two people.</summary>
    public double? SecondSimilarity { get; init; }

    /// <summary>
    /// <see cref="Similarity"/> minus <see cref="SecondSimilarity"/>: how clearly the candidate beats everybody else.
    /// Negative when the SVM's candidate is not the most similar person. Null with fewer than two people.
    /// </summary>
    public double? Margin => SecondSimilarity is { } second ? Similarity - second : null;

    /// <summary>Why the face is <c>unknown</c>; null when it is known or there was nobody to compare with.</summary>
    public RejectionReason? RejectedBy { get; init; }

    /// <summary>The similarity threshold the face was held to (the gallery's), NaN when there was no gallery.</summary>
    public double SimilarityThreshold { get; init; } = double.NaN;

    /// <summary>The probability threshold the face was held to (the gallery's), NaN when there was no gallery.</summary>
    public double ProbabilityThreshold { get; init; } = double.NaN;
}
