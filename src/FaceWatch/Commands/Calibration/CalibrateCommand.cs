using System.CommandLine;
using FaceWatch.Pipeline.Identification;

namespace FaceWatch.Commands.Calibration;

/// <summary>
/// <c>facewatch models calibrate DIR</c>: measures the embedding model's stranger and genuine score distributions on a
/// folder of many people and writes the model-level prior (<see cref="ScorePrior"/>) that galleries calibrate against.
/// </summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "Folder of many people, one sub-folder of photos each (e.g. ../shared/data/calibration/lfw)." };
        var cacheDir = new Option<string?>("--cache") { Description = "Folder for the photos' embeddings: reused when made with the same model and degradation." };
        var faceWidth = new Option<int[]>("--probe-face-width")
        {
            Description = "Probe conditions: faces as they are (0) and degraded to this many pixels wide, as a camera sees them; the prior holds for each (the strictest tail).",
            DefaultValueFactory = _ => [0, 56], AllowMultipleArgumentsPerToken = true,
        };
        var blur = new Option<double>("--probe-blur") { Description = "Gaussian blur sigma in pixels at the probe face's degraded size (0: none)." };
        var output = new Option<string?>("--out") { Description = "Prior file to write (default: MODEL.prior.json beside the embedding model)." };
        var force = new Option<bool>("--force") { Description = "Replace an existing prior file." };
        var seed = new Option<int>("--seed") { Description = "Seed of the gallery draws.", DefaultValueFactory = _ => 42 };
        var config = CommonOptions.Config;
        var command = new Command("calibrate", "Measure the embedding model's open-set scores on photos of many people and write its calibration prior.");
        command.Arguments.Add(dir);
        foreach (var o in new Option[] { cacheDir, faceWidth, blur, output, force, seed, config })
        {
            command.Options.Add(o);
        }

        command.SetAction((parseResult, ct) =>
        {
            var root = Path.GetFullPath(parseResult.GetValue(dir)!);
            if (!Directory.Exists(root))
            {
                Console.Error.WriteLine($"facewatch models calibrate: folder '{root}' does not exist.");
                return Task.FromResult(1);
            }

            using var tools = FaceTools.Create(parseResult.GetValue(config), needDetector: true);
            var target = Path.GetFullPath(parseResult.GetValue(output) ?? ScorePrior.PathFor(tools.Embedder.ModelPath));
            if (File.Exists(target) && !parseResult.GetValue(force))
            {
                Console.Error.WriteLine($"facewatch models calibrate: '{target}' exists; give --force to replace it, or --out another file.");
                return Task.FromResult(1);
            }

            var cache = parseResult.GetValue(cacheDir);
            var enrolled = Embeddings(tools, root, ProbeDegradation.None, cache, ct);
            var source = $"{Path.GetFileName(root)}: {enrolled.Items.Select(i => i.Person).Distinct().Count()} people, {enrolled.Items.Count} faces";
            var started = System.Diagnostics.Stopwatch.StartNew();
            var priors = new List<ScorePrior>();
            foreach (var width in parseResult.GetValue(faceWidth)!.Distinct())
            {
                var degradation = new ProbeDegradation(width, width == 0 ? 0 : parseResult.GetValue(blur));
                var probes = degradation.IsNone ? enrolled : Embeddings(tools, root, degradation, cache, ct);
                var probeOf = probes.Items.ToDictionary(i => (i.Person, i.File), i => i.Embedding);
                var people = enrolled.Items.GroupBy(i => i.Person, StringComparer.Ordinal)
                    .Select(g => (IReadOnlyList<CalibrationFace>)g.Select(i => new CalibrationFace(i.Embedding, probeOf.GetValueOrDefault((i.Person, i.File)))).ToArray())
                    .ToArray();
                Console.WriteLine($"Measuring score distributions on {source}; probes: {degradation} ({probes.Items.Count} faces found).");
                var one = ScorePriorBuilder.Build(
                    people, tools.Embedder.Identity, source, degradation.ToString(), new ScorePriorBuilder.Settings(Seed: parseResult.GetValue(seed), MarginWeight: priors.FirstOrDefault()?.MarginWeight),
                    TimeProvider.System.GetUtcNow(), null, ct);
                Print(one);
                priors.Add(one);
            }

            var prior = ScorePrior.Strictest(priors);
            Console.WriteLine($"Prior: per gallery shape the strictest of the {priors.Count} probe conditions.");
            prior.Write(target);
            Console.WriteLine($"Prior written to {target} ({started.Elapsed.TotalSeconds:F0} s).");
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>The embeddings of every photo under <paramref name="root"/> (only of <paramref name="people"/> when given: never cached).</summary>
    internal static LabelledEmbeddings Embeddings(
        FaceTools tools, string root, ProbeDegradation degradation, string? cacheDir, CancellationToken ct, IReadOnlySet<string>? people = null)
    {
        var cache = cacheDir is null || people is not null ? null
            : Path.Combine(cacheDir, $"{Path.GetFileName(root)}-{tools.Embedder.ModelId[..12]}-w{degradation.FaceWidth}-b{degradation.BlurSigma:0.##}.bin");
        if (cache is not null && LabelledEmbeddings.TryRead(cache, tools.Embedder.ModelId) is { } cached)
        {
            return cached;
        }

        var progress = new Progress<(int Done, int Total)>(p =>
        {
            if (p.Done % 1000 == 0 || p.Done == p.Total)
            {
                Console.Error.WriteLine($"  embedded {p.Done}/{p.Total} photos ({degradation})");
            }
        });
        var data = LabelledEmbeddings.Compute(tools, root, degradation, progress, ct, people);
        if (cache is not null)
        {
            Directory.CreateDirectory(cacheDir!);
            data.Write(cache);
        }

        return data;
    }

    private static void Print(ScorePrior prior)
    {
        Console.WriteLine("Margin weight (score = similarity + weight x margin over the second nearest), identified at 1 % / 0.1 % strangers, mean over gallery shapes:");
        foreach (var t in prior.MarginWeightTrials)
        {
            Console.WriteLine(FormattableString.Invariant(
                $"  weight {t.Weight,4:0.##}: {t.IdentifiedAt1Percent * 100,6:F2} % / {t.IdentifiedAtTenthPercent * 100,6:F2} %{(t.Weight == prior.MarginWeight ? "   <- chosen" : "")}"));
        }

        Console.WriteLine("Stranger score reached by 1 % (0.1 %) of strangers, by gallery shape and evidence (photos averaged per probe):");
        Console.WriteLine($"  {"people",6} {"faces",5} | {string.Join(" | ", ScorePrior.EvidenceSizes.Select(e => $"evidence {e,-9}"))} | identified @1% (single photo)");
        foreach (var shape in prior.Cells.GroupBy(c => (c.People, c.FacesPerPerson)))
        {
            var cells = ScorePrior.EvidenceSizes.Select(e => shape.FirstOrDefault(c => c.Evidence == e)).ToArray();
            var one = cells[0];
            var tails = string.Join(" | ", cells.Select(c => c is null ? "-".PadRight(18) : FormattableString.Invariant($"{c.StrangerTail[2]:F3} ({c.StrangerTail[5]:F3})").PadRight(18)));
            var identified = one is { IdentifiedAt.Length: > 0 } ? FormattableString.Invariant($"{one.IdentifiedAt[2] * 100:F2} %") : "-";
            Console.WriteLine($"  {shape.Key.People,6} {shape.Key.FacesPerPerson,5} | {tails} | {identified}");
        }
    }
}
