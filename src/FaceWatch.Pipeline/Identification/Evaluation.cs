namespace FaceWatch.Pipeline.Identification;

/// <summary>One labelled face and what the identifier said.</summary>
public sealed record EvaluatedFace(string Label, string Source, IdentityMatch Match)
{
    /// <summary>Right name, or <c>unknown</c> for a face filed under <c>unknown</c>.</summary>
    public bool Correct => Label == IdentityMatch.Unknown ? !Match.Known : Match.Known && Match.Name == Label;
}

/// <summary>Per-label counts.</summary>
public sealed record LabelScore(int Total, int Correct, int Unknown);

/// <summary>Accuracy of an identifier on labelled faces, as <c>facewatch evaluate</c> reports it.</summary>
public sealed class Evaluation
{
    public Evaluation(IReadOnlyList<EvaluatedFace> faces)
    {
        Faces = faces;
        PerLabel = faces.GroupBy(f => f.Label).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new LabelScore(g.Count(), g.Count(f => f.Correct), g.Count(f => !f.Match.Known)));
    }

    public IReadOnlyList<EvaluatedFace> Faces { get; }

    public IReadOnlyDictionary<string, LabelScore> PerLabel { get; }

    public int Total => Faces.Count;

    public int Correct => Faces.Count(f => f.Correct);

    public int Unknown => Faces.Count(f => !f.Match.Known);

    public double Accuracy => Total == 0 ? 0 : Correct / (double)Total;

    /// <summary>Mistakes as (label, predicted name) with counts, most frequent first.</summary>
    public IReadOnlyList<(string Label, string Predicted, int Count)> Confusions =>
        Faces.Where(f => !f.Correct).GroupBy(f => (f.Label, f.Match.Name))
            .Select(g => (g.Key.Label, g.Key.Name, g.Count()))
            .OrderByDescending(c => c.Item3).ThenBy(c => c.Label, StringComparer.Ordinal).ToArray();

    public static Evaluation Run(Identifier identifier, IEnumerable<(string Label, EnrolledFace Face)> faces) =>
        new(faces.Select(f => new EvaluatedFace(f.Label, f.Face.Source, identifier.Identify(f.Face.Embedding))).ToArray());

    /// <summary>The gallery's own faces through its identifier (the original workflow's "train accuracy").</summary>
    public static Evaluation OnGallery(Identifier identifier) =>
        Run(identifier, identifier.Gallery.People.SelectMany(p => p.Faces.Select(f => (p.Name, f))));
}
