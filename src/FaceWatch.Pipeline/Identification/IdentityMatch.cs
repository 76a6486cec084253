namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// The answer for one face. <see cref="Name"/> is the enrolled name when <see cref="Known"/>, else
/// <see cref="Unknown"/>; <see cref="Candidate"/> is the closest enrolled person either way (null for an empty
/// gallery). <see cref="Probability"/> is the SVM probability of the candidate (1 with a single enrolled
/// person), <see cref="Similarity"/> the mean cosine similarity to the candidate's two most similar enrolled faces.
/// </summary>
public sealed record IdentityMatch(string Name, bool Known, double Probability, double Similarity, string? Candidate)
{
    public const string Unknown = "unknown";
}
