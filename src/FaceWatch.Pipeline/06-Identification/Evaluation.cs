namespace FaceWatch.Pipeline.Identification;

/// <summary>One labelled face and what the identifier said.</summary>
public sealed record EvaluatedFace(string Label, string Source, IdentityMatch Match)
{
    /// <summary>Right name, or <c>unknown</c> for a face filed under <c>unknown</c>.</summary>
    public bool Correct => Label == IdentityMatch.Unknown ? !Match.Known : Match.Known && Match.Name == Label;
}

/// <summary>Per-label counts.</summary>
public sealed record LabelScore(int Total, int Correct, int Unknown);

/// <summary>Closed-set top-1: the SVM always names someone (its candidate), no threshold.</summary>
public sealed record ClosedSetScore(int Correct, int Total)
{
    public double Accuracy => Total == 0 ? 0 : Correct / (double)Total;
}

/// <summary>
/// The open-set rule at one pair of thresholds on labelled faces. Genuine faces are those of enrolled people:
/// identified (right name), unknown, or a wrong name. Strangers (label <c>unknown</c> or a person not in the gallery)
/// are accepted when they get any name. <see cref="TargetStrangerRate"/> is the stranger rate the score threshold
/// was chosen for (null for the gallery's own thresholds).
/// </summary>
public sealed record OperatingPointScore(
    string Name, double? TargetStrangerRate, double ScoreThreshold, double ProbabilityThreshold,
    int Genuine, int Identified, int Unknown, int WrongName, int Strangers, int StrangersAccepted)
{
    public static double Rate(int count, int total) => total == 0 ? 0 : count / (double)total;
}

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

    /// <summary>True for a face of someone the gallery does not hold: filed under <c>unknown</c> or under a person not enrolled.</summary>
    public static bool IsStranger(string label, Gallery gallery) =>
        label == IdentityMatch.Unknown || gallery.People.All(p => p.Name != label);

    /// <summary>SVM top-1 (the nearest person with one enrolled) on the faces of enrolled people (strangers left out): the classic closed-set accuracy.</summary>
    public ClosedSetScore ClosedSet(Gallery gallery)
    {
        var genuine = Faces.Where(f => !IsStranger(f.Label, gallery)).ToArray();
        return new ClosedSetScore(genuine.Count(f => (f.Match.ClassifierChoice ?? f.Match.Candidate) == f.Label), genuine.Length);
    }

    /// <summary>
    /// The open-set rule re-applied to every face's numbers (score and probability of its candidate) at
    /// thresholds <paramref name="score"/> and <paramref name="probability"/>.
    /// </summary>
    public OperatingPointScore At(Gallery gallery, string name, double? target, double score, double probability)
    {
        int genuine = 0, identified = 0, unknown = 0, wrong = 0, strangers = 0, accepted = 0;
        foreach (var f in Faces)
        {
            var known = f.Match.Candidate is not null && f.Match.Score >= score && f.Match.Probability >= probability;
            if (IsStranger(f.Label, gallery))
            {
                strangers++;
                accepted += known ? 1 : 0;
            }
            else
            {
                genuine++;
                identified += known && f.Match.Candidate == f.Label ? 1 : 0;
                wrong += known && f.Match.Candidate != f.Label ? 1 : 0;
                unknown += known ? 0 : 1;
            }
        }

        return new OperatingPointScore(name, target, score, probability, genuine, identified, unknown, wrong, strangers, accepted);
    }

    /// <summary>
    /// The smallest score threshold that lets at most <paramref name="rate"/> of <paramref name="strangerScores"/>
    /// through (a score passes when it is at least the threshold). With fewer than 1 / rate scores that means none of them.
    /// </summary>
    public static double ScoreThresholdFor(IReadOnlyList<double> strangerScores, double rate)
    {
        ArgumentOutOfRangeException.ThrowIfZero(strangerScores.Count);
        var sorted = strangerScores.OrderDescending().ToArray();
        var allowed = (int)Math.Floor((rate * sorted.Length) + 1e-9);
        return allowed >= sorted.Length ? Math.Min(-1.0, sorted[^1]) : Math.BitIncrement(sorted[allowed]);
    }

    public static Evaluation Run(Identifier identifier, IEnumerable<(string Label, EnrolledFace Face)> faces) =>
        new(faces.Select(f => new EvaluatedFace(f.Label, f.Face.Source, identifier.Identify(f.Face.Embedding))).ToArray());

    /// <summary>The gallery's own faces through its identifier (the original workflow's "train accuracy").</summary>
    public static Evaluation OnGallery(Identifier identifier) =>
        Run(identifier, identifier.Gallery.People.SelectMany(p => p.Faces.Select(f => (p.Name, f))));
}
