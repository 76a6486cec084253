namespace FaceWatch.Pipeline.Identification;

/// <summary>Which threshold of the open-set rule turned a face into <c>unknown</c>.</summary>
public enum RejectionReason
{
    /// <summary>The score (similarity and margin) was below the gallery's score threshold (the probability cleared its own).</summary>
    Score,

    /// <summary>The SVM probability of the candidate was below the gallery's probability threshold (the similarity cleared its own).</summary>
    Probability,

    /// <summary>Both were below their thresholds.</summary>
    Both,
}

/// <summary>
/// The answer for one face. <see cref="Name"/> is the enrolled name when <see cref="Known"/>, else
/// <see cref="Unknown"/>; <see cref="Candidate"/> is the nearest enrolled person either way (null for an empty gallery).
/// <see cref="Probability"/> is the SVM probability of the candidate (1 with a single enrolled person),
/// <see cref="Similarity"/> the mean cosine similarity to the candidate's two most similar enrolled faces.
/// </summary>
public sealed record IdentityMatch(string Name, bool Known, double Probability, double Similarity, string? Candidate)
{
    public const string Unknown = "unknown";

    /// <summary>The most similar enrolled person other than <see cref="Candidate"/> (null with fewer than two people).</summary>
    public string? SecondNearest { get; init; }

    /// <summary>Similarity (same measure as <see cref="Similarity"/>) to <see cref="SecondNearest"/>; null with fewer than two people.</summary>
    public double? SecondSimilarity { get; init; }

    /// <summary>
    /// <see cref="Similarity"/> minus <see cref="SecondSimilarity"/>: how clearly the candidate beats everybody else
    /// (never negative: the candidate is the nearest). Null with fewer than two people.
    /// </summary>
    public double? Margin => SecondSimilarity is { } second ? Similarity - second : null;

    /// <summary>The SVM's top-1 (what a closed-set classifier answers), null with one enrolled person.</summary>
    public string? ClassifierChoice { get; init; }

    /// <summary>What the rule thresholds: <see cref="OpenSetScore"/> of the similarity and the margin.</summary>
    public double Score { get; init; }

    /// <summary>How many embeddings the answer is from: 1 for one face, more for a visit's accumulated evidence.</summary>
    public int Observations { get; init; } = 1;

    /// <summary>Why the face is <c>unknown</c>; null when it is known or there was nobody to compare with.</summary>
    public RejectionReason? RejectedBy { get; init; }

    /// <summary>The score threshold the face was held to (the gallery's, for <see cref="Observations"/>), NaN when there was no gallery.</summary>
    public double ScoreThreshold { get; init; } = double.NaN;

    /// <summary>The probability threshold the face was held to (the gallery's), NaN when there was no gallery.</summary>
    public double ProbabilityThreshold { get; init; } = double.NaN;
}
