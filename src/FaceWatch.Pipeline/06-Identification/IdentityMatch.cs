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

    /// <summary>
    /// The face cleared both, but it is one of the candidate's rejected matches (<c>gallery reject</c>): at least as
    /// similar to one of the candidate's negatives as the same-face threshold, and closer to it than to the candidate.
    /// </summary>
    Negative,
}

/// <summary>
/// The answer for one face. <see cref="Name"/> is the enrolled name when <see cref="Known"/>, else
/// <see cref="Unknown"/>, or <see cref="Ignored"/> for an ignored stranger; <see cref="Candidate"/> is the nearest enrolled person either way (null for an empty gallery).
/// <see cref="Probability"/> is the SVM probability of the candidate (1 with a single enrolled person),
/// <see cref="Similarity"/> the mean cosine similarity to the candidate's two most similar enrolled faces.
/// </summary>
public sealed record IdentityMatch(string Name, bool Known, double Probability, double Similarity, string? Candidate)
{
    public const string Unknown = "unknown";

    /// <summary>The name of a face that matches an ignored stranger (a negative without a person): not known, never announced as a stranger.</summary>
    public const string Ignored = "ignored";

    /// <summary>
    /// The negative that decided (<see cref="NegativeFace.Source"/>): a rejected match of the candidate
    /// (<see cref="RejectionReason.Negative"/>) or the ignored stranger the face is (<see cref="Ignored"/>); else null.
    /// </summary>
    public string? Negative { get; init; }

    /// <summary>Cosine similarity to <see cref="Negative"/>; null when no negative decided.</summary>
    public double? NegativeSimilarity { get; init; }

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
