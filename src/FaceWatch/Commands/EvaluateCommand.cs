using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using FaceWatch.Pipeline.Identification;

namespace FaceWatch.Commands;

/// <summary><c>facewatch evaluate DIR</c>: accuracy of a gallery on a labelled folder (<c>DIR/&lt;person&gt;/*</c>; <c>unknown/</c> for strangers).</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "Labelled test photos: DIR/<name>/*.jpg; photos of strangers go in DIR/unknown/." };
        var gallery = EnrollCommand.GalleryOption();
        var aligned = EnrollCommand.AlignedOption();
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var command = new Command("evaluate", "Measure a gallery's accuracy on a folder of labelled photos.") { dir, gallery, aligned, json };
        command.SetAction((parseResult, ct) => Task.FromResult(VerbConsole.Run("evaluate", () =>
        {
            var isAligned = parseResult.GetValue(aligned);
            using var tools = FaceTools.Create(parseResult.GetValue(CommonOptions.Config), needDetector: !isAligned);
            var identifier = new Identifier(tools.LoadGallery(parseResult.GetValue(gallery)));
            var layout = EnrollmentFolder.ScanLayout(parseResult.GetValue(dir)!);
            var folders = layout.People;
            var settings = new EnrollmentSettings { Aligned = isAligned };
            var issues = new List<EnrollmentIssue>();
            issues.AddRange(layout.Skipped.Concat(folders.SelectMany(f => f.Skipped))
                .Select(s => new EnrollmentIssue(EnrollmentIssueKind.Skipped, "", s.Path, s.Message)));
            var progress = new VerbConsole.Progress("evaluate");
            var total = folders.Sum(f => f.Files.Count);
            var done = 0;
            var enroller = tools.Enroller();
            var labelled = new List<(string, EnrolledFace)>();
            foreach (var folder in folders)
            {
                if (folder.Files.Count == 0)
                {
                    issues.Add(new(EnrollmentIssueKind.EmptyFolder, folder.Name, folder.Path, $"Person folder '{folder.Path}' has no images."));
                }

                var faces = enroller.EmbedFiles(folder.Name, folder.Files, f => f, settings, issues,
                    f => progress.Report(new EnrollmentProgress(++done, total, f)), ct);
                labelled.AddRange(faces.Select(f => (folder.Name, f)));
            }

            foreach (var issue in issues.Where(i => i.Kind != EnrollmentIssueKind.SeveralFaces))
            {
                VerbConsole.Warn(issue.Message.Replace(": skipped.", ": not counted.", StringComparison.Ordinal)
                    .Replace(" Skipped.", " Not counted.", StringComparison.Ordinal));
            }

            var test = Evaluation.Run(identifier, labelled);
            var train = Evaluation.OnGallery(identifier);
            var g = identifier.Gallery;
            var closedTrain = train.ClosedSet(g);
            var closedTest = test.ClosedSet(g);
            var points = OperatingPoints(test, g);
            if (parseResult.GetValue(json))
            {
                var dto = new EvaluationJson(test.Accuracy, test.Total, test.Correct, test.Unknown,
                    test.PerLabel.ToDictionary(p => p.Key, p => new PersonJson(p.Value.Total, p.Value.Correct)),
                    new ClosedSetJson(closedTrain.Accuracy, closedTest.Accuracy, closedTrain.Correct, closedTrain.Total, closedTest.Correct, closedTest.Total),
                    g.Thresholds.Prior, g.Thresholds.GalleryScores,
                    points.Select(p => new OperatingPointJson(
                        p.Name, p.TargetStrangerRate, Math.Round(p.ScoreThreshold, 4), Math.Round(p.ProbabilityThreshold, 4),
                        p.Genuine, p.Identified, p.Unknown, p.WrongName, p.Strangers, p.Strangers == 0 ? null : p.StrangersAccepted)).ToList())
                {
                    Negatives = NegativeSummary.Of(g).Describe(),
                };
                Console.WriteLine(JsonSerializer.Serialize(dto, VerbJsonContext.Default.EvaluationJson));
                return 0;
            }

            // The classic workflow's line: percent, closed set (the SVM always names someone).
            Console.WriteLine(FormattableString.Invariant($"Accuracy: train={closedTrain.Accuracy * 100:F3}, test={closedTest.Accuracy * 100:F3}"));
            Console.WriteLine($"(closed set, the SVM's top-1, no threshold: train {closedTrain.Correct} of {closedTrain.Total} enrolled faces; " +
                $"test {closedTest.Correct} of {closedTest.Total} faces of enrolled people)");
            var genuine = points[0].Genuine;
            var strangers = points[0].Strangers;
            Console.WriteLine($"Open set: {genuine} faces of enrolled people, {strangers} of strangers (unknown/ or people not in the gallery)");
            Console.WriteLine($"  {"operating point",-26} {"score",10} {"probability",11} {"identified",11} {"unknown",9} {"wrong name",10} {"strangers accepted",19}");
            foreach (var p in points)
            {
                var acc = p.Strangers == 0 ? "n/a" : $"{Percent(p.StrangersAccepted, p.Strangers)} ({p.StrangersAccepted}/{p.Strangers})";
                Console.WriteLine($"  {p.Name,-26} {p.ScoreThreshold,10:F3} {p.ProbabilityThreshold,11:F2} {Percent(p.Identified, p.Genuine),11} " +
                    $"{Percent(p.Unknown, p.Genuine),9} {Percent(p.WrongName, p.Genuine),10} {acc,19}");
            }

            Console.WriteLine(g.Thresholds.Prior is { } prior
                ? $"  (the x % points: the thresholds the gallery would be calibrated with for x % strangers accepted, from the {prior} and the gallery's {g.Thresholds.GalleryScores} impostor scores; not chosen on this folder)"
                : $"  (the x % points: the thresholds the gallery would be calibrated with for x % strangers accepted, from its {g.Thresholds.GalleryScores} impostor scores alone: no prior for this embedding model; not chosen on this folder)");
            Console.WriteLine($"Negatives (rejected matches, ignored strangers): {NegativeSummary.Of(g).Describe()}");
            var width = Math.Max(6, test.PerLabel.Keys.Select(k => VerbConsole.Safe(k).Length).DefaultIfEmpty(6).Max());
            Console.WriteLine($"{"person".PadRight(width)}  total  correct  accuracy  unknown");
            foreach (var (name, s) in test.PerLabel)
            {
                Console.WriteLine($"{VerbConsole.Safe(name).PadRight(width)}  {s.Total,5}  {s.Correct,7}  {s.Correct / (double)s.Total,8:P1}  {s.Unknown,7}");
            }

            Console.WriteLine($"Unknown: {test.Unknown} of {test.Total}");
            var confusions = test.Confusions;
            Console.WriteLine(confusions.Count == 0
                ? "Confusions: none"
                : "Confusions: " + string.Join(", ", confusions.Select(c => $"{VerbConsole.Safe(c.Label)} -> {VerbConsole.Safe(c.Predicted)} x{c.Count}")));
            return 0;
        })));
        return command;
    }

    /// <summary>Stranger rates of the extra operating points.</summary>
    internal static readonly double[] StrangerRates = [0.05, 0.01, 0.001];

    /// <summary>
    /// The gallery's own thresholds, then the rule's thresholds calibrated for each of <see cref="StrangerRates"/> the
    /// same way enrollment calibrates (the model's prior and the gallery's own scores): what the gallery would use at
    /// that operating point, measured on the folder's faces (strangers included), never chosen on them.
    /// </summary>
    internal static List<OperatingPointScore> OperatingPoints(Evaluation test, Gallery gallery, IReadOnlyList<double>? rates = null)
    {
        var t = gallery.Thresholds;
        var points = new List<OperatingPointScore> { test.At(gallery, "gallery (as enrolled)", null, t.Score, t.Probability) };
        var genuine = gallery.Classifier?.CrossValidatedTrueProbabilities ?? [];
        foreach (var rate in rates ?? StrangerRates)
        {
            var at = OpenSetCalibration.Calibrate(gallery.People, genuine, gallery.Calibration.Prior, rate);
            points.Add(test.At(gallery, FormattableString.Invariant($"strangers accepted {rate * 100:0.###} %"), rate, at.Score, at.Probability));
        }

        return points;
    }

    private static string Percent(int count, int total) =>
        total == 0 ? "n/a" : FormattableString.Invariant($"{OperatingPointScore.Rate(count, total) * 100:F3} %");
}

internal sealed record ClosedSetJson(double TrainAccuracy, double TestAccuracy, int TrainCorrect, int TrainTotal, int TestCorrect, int TestTotal);

internal sealed record OperatingPointJson(
    string Name, double? TargetStrangerRate, double ScoreThreshold, double ProbabilityThreshold,
    int Genuine, int Identified, int Unknown, int WrongName, int Strangers, int? StrangersAccepted);

internal sealed record PersonJson(int Total, int Correct);

internal sealed record EvaluationJson(
    double Accuracy, int Total, int Correct, int Unknown, Dictionary<string, PersonJson> PerPerson,
    ClosedSetJson ClosedSet, string? Prior, int GalleryScores, List<OperatingPointJson> OperatingPoints)
{
    /// <summary>The gallery's negatives and whether they changed an enrolled face's answer (<see cref="NegativeSummary.Describe"/>).</summary>
    public string? Negatives { get; init; }
}

/// <summary>
/// One face of <c>identify --json</c>: the answer and why. <see cref="Nearest"/> is the nearest enrolled person (the
/// name it would be), <see cref="Margin"/> its similarity minus the second nearest person's, <see cref="Score"/> what
/// the rule thresholds, <see cref="RejectedBy"/> <c>score</c>, <c>probability</c>, <c>both</c> or <c>negative</c> for <c>unknown</c>
/// (null when known).
/// </summary>
internal sealed record FaceJson(
    int[] Box, string Name, bool Known, double Probability, double Similarity,
    string? Nearest, string? SecondNearest, double? SecondSimilarity, double? Margin, double Score, string? RejectedBy,
    double ScoreThreshold, double ProbabilityThreshold)
{
    /// <summary>The negative that decided (a rejected match of <see cref="Nearest"/>, or the ignored stranger of an <c>ignored</c> face), else null.</summary>
    public string? Negative { get; init; }

    public static FaceJson From(int[] box, IdentityMatch m) => new(
        box, m.Name, m.Known, Math.Round(m.Probability, 4), Math.Round(m.Similarity, 4),
        m.Candidate, m.SecondNearest, Round(m.SecondSimilarity), Round(m.Margin), Math.Round(m.Score, 4),
        m.RejectedBy?.ToString().ToLowerInvariant(), Math.Round(m.ScoreThreshold, 4), Math.Round(m.ProbabilityThreshold, 4))
    {
        Negative = m.Negative,
    };

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 4) : null;
}

internal sealed record ImageJson(string File, List<FaceJson> Faces);

internal sealed record EmbeddedFaceJson(int[] Box, float[] Embedding);

internal sealed record EmbeddedImageJson(string File, List<EmbeddedFaceJson> Faces);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EvaluationJson))]
[JsonSerializable(typeof(List<ImageJson>))]
[JsonSerializable(typeof(List<EmbeddedImageJson>))]
internal sealed partial class VerbJsonContext : JsonSerializerContext;
