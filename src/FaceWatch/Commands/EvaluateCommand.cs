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
            if (parseResult.GetValue(json))
            {
                var dto = new EvaluationJson(test.Accuracy, test.Total, test.Correct, test.Unknown,
                    test.PerLabel.ToDictionary(p => p.Key, p => new PersonJson(p.Value.Total, p.Value.Correct)));
                Console.WriteLine(JsonSerializer.Serialize(dto, VerbJsonContext.Default.EvaluationJson));
                return 0;
            }

            var train = Evaluation.OnGallery(identifier);
            Console.WriteLine($"Accuracy: train={train.Accuracy:F3}, test={test.Accuracy:F3}");
            Console.WriteLine($"(train: {train.Correct} of {train.Total} enrolled faces; test: {test.Correct} of {test.Total} faces)");
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
}

internal sealed record PersonJson(int Total, int Correct);

internal sealed record EvaluationJson(double Accuracy, int Total, int Correct, int Unknown, Dictionary<string, PersonJson> PerPerson);

/// <summary>
/// One face of <c>identify --json</c>: the answer and why. <see cref="Nearest"/> is the SVM's top-1 (the person a
/// name would be), <see cref="Margin"/> its similarity minus the second nearest person's, <see cref="RejectedBy"/>
/// <c>similarity</c>, <c>probability</c> or <c>both</c> for <c>unknown</c> (null when known).
/// </summary>
internal sealed record FaceJson(
    int[] Box, string Name, bool Known, double Probability, double Similarity,
    string? Nearest, string? SecondNearest, double? SecondSimilarity, double? Margin, string? RejectedBy,
    double SimilarityThreshold, double ProbabilityThreshold)
{
    public static FaceJson From(int[] box, IdentityMatch m) => new(
        box, m.Name, m.Known, Math.Round(m.Probability, 4), Math.Round(m.Similarity, 4),
        m.Candidate, m.SecondNearest, Round(m.SecondSimilarity), Round(m.Margin),
        m.RejectedBy?.ToString().ToLowerInvariant(), Math.Round(m.SimilarityThreshold, 4), Math.Round(m.ProbabilityThreshold, 4));

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
