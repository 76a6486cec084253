using System.CommandLine;
using System.Diagnostics;
using FaceWatch.Commands.Calibration;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using Microsoft.Extensions.Options;
using OpenCvSharp;

using FaceWatch.Core.Numerics;
namespace FaceWatch.Commands;

/// <summary>
/// <c>facewatch bench identify DIR</c>: the identification numbers of docs/identification.md, reproducible with a
/// fixed seed: closed-set accuracy with N enrollment faces per person, open-set with each person in turn held
/// out as a stranger, flip augmentation on and off, mislabel flagging, and embedding speed (medians).
/// </summary>
internal static class BenchIdentifyCommand
{
    private static readonly int[] ProbeWidths = [40, 56, 80, 112, 160];

    public static Command Create()
    {
        var dir = new Argument<string?>("DIR") { Description = "Labelled photos, DIR/<name>/*.jpg (e.g. ../shared/data/faces/jurassic).", Arity = ArgumentArity.ZeroOrOne };
        var lfw = new Option<string?>("--lfw") { Description = "Folder of many identities (e.g. ../shared/data/calibration/lfw): open-set evaluation with strangers by gallery size and face width." };
        var lfwPeople = new Option<int>("--lfw-people") { Description = "Enrolled people drawn for --lfw.", DefaultValueFactory = _ => 20 };
        var lfwProbes = new Option<int>("--lfw-probes") { Description = "Most probe photos per enrolled person for --lfw (never in the gallery).", DefaultValueFactory = _ => 10 };
        var lfwStrangers = new Option<int>("--lfw-strangers") { Description = "Stranger people for --lfw (default: everyone not enrolled).", DefaultValueFactory = _ => int.MaxValue };
        var lfwStrangerPhotos = new Option<int>("--lfw-stranger-photos") { Description = "Photos per stranger for --lfw.", DefaultValueFactory = _ => 2 };
        var lfwCalibration = new Option<int>("--lfw-calibration-people") { Description = "People of the held-out half that calibrate the run's prior (default: all of it).", DefaultValueFactory = _ => int.MaxValue };
        var cache = new Option<string?>("--cache") { Description = "Folder for cached embeddings of the --lfw folder (shared with 'models calibrate --cache')." };
        var exclude = new Option<string?>("--exclude") { Description = "Text file of DIR-relative paths (one per line) left out of the accuracy runs, e.g. docs/jurassic-suspects.txt." };
        var enrollCount = new Option<int>("--enroll") { Description = "Enrollment faces per person.", DefaultValueFactory = _ => 10 };
        var splits = new Option<int>("--splits") { Description = "Random splits to average over.", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Seed of the first split.", DefaultValueFactory = _ => 42 };
        var svmC = new Option<double>("--svm-c") { Description = "SVM regularisation C.", DefaultValueFactory = _ => new SvmTrainingOptions().C };
        var command = new Command("identify", "Measure identification accuracy (closed and open set) and embedding speed on a labelled folder.")
        {
            dir, exclude, enrollCount, splits, seed, svmC, lfw, lfwPeople, lfwProbes, lfwStrangers, lfwStrangerPhotos, lfwCalibration, cache,
        };
        command.SetAction((parseResult, ct) => Task.FromResult(VerbConsole.Run("bench identify", () =>
        {
            using var tools = FaceTools.Create(parseResult.GetValue(CommonOptions.Config), needDetector: true);
            var lfwDir = parseResult.GetValue(lfw);
            if (lfwDir is not null)
            {
                if (!Directory.Exists(lfwDir))
                {
                    throw new DirectoryNotFoundException($"Folder '{lfwDir}' (--lfw) does not exist.");
                }

                BenchOpenSet.Run(tools, lfwDir, new BenchOpenSet.Settings(
                    parseResult.GetValue(lfwPeople), 12, parseResult.GetValue(lfwProbes), parseResult.GetValue(lfwStrangers), parseResult.GetValue(lfwStrangerPhotos),
                    parseResult.GetValue(seed), [2, 3, 5, 10],
                    [.. ProbeWidths.Select(w => new ProbeDegradation(w, 0)), new ProbeDegradation(56, 1), new ProbeDegradation(56, 2), new ProbeDegradation(40, 1)],
                    parseResult.GetValue(cache), parseResult.GetValue(lfwCalibration)), ct);
            }

            if (parseResult.GetValue(dir) is not { } root)
            {
                return lfwDir is null ? throw new InvalidOperationException("Give a labelled folder DIR, --lfw DIR, or both.") : 0;
            }

            var excluded = parseResult.GetValue(exclude) is { } list
                ? File.ReadAllLines(list).Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal)
                : [];
            var folders = EnrollmentFolder.Scan(root);

            // Read every photo once (largest face), keep the crops, embed them with and without flip.
            var crops = new List<(string Person, string Source, Mat Crop)>();
            var issues = new List<EnrollmentIssue>();
            var enroller = tools.Enroller();
            try
            {
                foreach (var folder in folders)
                {
                    foreach (var file in folder.Files)
                    {
                        if (enroller.ReadLargestFace(folder.Name, file, aligned: false, issues) is { } crop)
                        {
                            crops.Add((folder.Name, Path.GetRelativePath(root, file), crop));
                        }
                    }
                }

                Console.WriteLine($"{crops.Count} faces from {folders.Sum(f => f.Files.Count)} photos of {folders.Count} people in '{root}'; " +
                    $"{excluded.Count} listed as suspect and left out of the accuracy runs.");
                var plain = tools.Embedder.Embed(crops.Select(c => c.Crop).ToArray());
                using var flipEmbedder = new OnnxFaceEmbedder(
                    new Core.Models.InferenceSessionFactory(Options.Create(new Core.Models.ModelsOptions { Dir = Path.GetDirectoryName(tools.Embedder.ModelPath)! })),
                    Options.Create(new EmbeddingOptions { FlipAugmentation = true, ModelFile = tools.Embedder.ModelPath }));
                var flipped = flipEmbedder.Embed(crops.Select(c => c.Crop).ToArray());

                var n = parseResult.GetValue(enrollCount);
                var s = parseResult.GetValue(splits);
                var firstSeed = parseResult.GetValue(seed);
                foreach (var (label, embeddings) in new[] { ("flip off", plain), ("flip on", flipped) })
                {
                    var clean = crops.Select((c, i) => (c.Person, Face: new EnrolledFace(c.Source, embeddings[i])))
                        .Where(c => !excluded.Contains(c.Face.Source.Replace('\\', '/'))).ToArray();
                    var r = Measure(clean, n, s, firstSeed, tools.Embedder.Identity, new SvmTrainingOptions { C = parseResult.GetValue(svmC) });
                    Console.WriteLine();
                    Console.WriteLine($"[{label}] {clean.Length} clean faces, {n} enrolled per person, {s} splits (seeds {firstSeed}..{firstSeed + s - 1})");
                    Console.WriteLine($"  closed set: SVM top-1 accuracy {r.ClosedSet:P2} ({r.ClosedCorrect}/{r.ClosedTotal}); " +
                        $"with the open-set rule: {r.OpenRuleCorrect:P2} named correctly, {r.OpenRuleUnknown:P2} unknown, {r.OpenRuleWrong:P2} wrong name");
                    Console.WriteLine($"  open set, each person held out as a stranger in turn: stranger named as someone known {r.StrangerAccepted:P2} " +
                        $"({r.StrangerAcceptedCount}/{r.StrangerTotal}); enrolled people identified {r.GenuineIdentified:P2} ({r.GenuineIdentifiedCount}/{r.GenuineTotal})");
                    Console.WriteLine($"  same galleries with the 0.2 rule (SVM top-1, similarity and probability calibrated by the gallery alone): stranger named as someone known " +
                        $"{r.LegacyStrangerAccepted / (double)r.StrangerTotal:P2} ({r.LegacyStrangerAccepted}/{r.StrangerTotal}); enrolled people identified " +
                        $"{r.LegacyIdentified / (double)r.GenuineTotal:P2} ({r.LegacyIdentified}/{r.GenuineTotal})");
                    Console.WriteLine($"  threshold sweep (pooled): identified {r.IdentifiedAt1Percent:P2} of enrolled faces at 1% strangers accepted " +
                        $"(score threshold {r.SimilarityAt1Percent:F3}); calibrated thresholds: probability {r.MeanProbabilityThreshold:F2}, score {r.MeanSimilarityThreshold:F3} (means)");
                    Console.WriteLine("  most frequent closed-set misses: " +
                        string.Join(", ", r.ClosedSetMisses.GroupBy(m => m).OrderByDescending(g => g.Count()).Take(6).Select(g => $"{g.Key} x{g.Count()}")));
                }

                // Mislabel flagging: enrollment of every photo (suspects included), as `facewatch enroll` does it.
                var all = crops.Select((c, i) => (c.Person, Face: new EnrolledFace(c.Source, plain[i]))).ToArray();
                var people = all.GroupBy(a => a.Person).Select(g => new EnrolledPerson(g.Key, g.Select(a => a.Face).ToArray())).ToArray();
                var suspects = MislabelCheck.Find(people);
                var flagged = suspects.Select(x => x.Face.Source.Replace('\\', '/'))
                    .Concat(issues.Where(i => i.Kind is EnrollmentIssueKind.NoFace or EnrollmentIssueKind.SeveralFaces)
                        .Select(i => Path.GetRelativePath(root, i.File).Replace('\\', '/')))
                    .ToHashSet(StringComparer.Ordinal);
                var hit = excluded.Count(flagged.Contains);
                Console.WriteLine();
                Console.WriteLine($"Mislabel flagging (no face, several faces, or far from the person's other faces): {hit} of {excluded.Count} listed files flagged; " +
                    $"{flagged.Count(f => !excluded.Contains(f))} other files flagged; far-from-rest alone: " +
                    $"{suspects.Count(x => excluded.Contains(x.Face.Source.Replace('\\', '/')))} of {excluded.Count}.");

                var everyone = crops.Select((c, i) => (c.Person, Face: new EnrolledFace(c.Source, plain[i])))
                    .Where(c => !excluded.Contains(c.Face.Source.Replace('\\', '/')))
                    .GroupBy(c => c.Person).Select(g => new EnrolledPerson(g.Key, g.Select(c => c.Face).ToArray())).ToArray();
                var tGallery = Median(5, () => Gallery.Create(tools.Embedder.Identity, everyone, DateTimeOffset.UnixEpoch));
                Console.WriteLine($"Training a gallery of {everyone.Length} people, {everyone.Sum(p => p.Faces.Count)} faces (SVM, probabilities, thresholds): median {tGallery:F0} ms");

                // Speed: medians of repeated embedding calls.
                var one = new[] { crops[0].Crop };
                var batch = crops.Take(16).Select(c => c.Crop).ToArray();
                var t1 = Median(20, () => tools.Embedder.Embed(one));
                var t16 = Median(10, () => tools.Embedder.Embed(batch));
                Console.WriteLine();
                Console.WriteLine($"Embedding speed ({tools.Embedder.Identity}): median {t1:F1} ms for 1 face, {t16:F1} ms for {batch.Length} faces in one call ({t16 / batch.Length:F1} ms per face)");
                return 0;
            }
            finally
            {
                foreach (var c in crops)
                {
                    c.Crop.Dispose();
                }
            }
        })));
        return command;
    }

    private static double Median(int runs, Action action)
    {
        action(); // warm-up
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return times[runs / 2];
    }

    internal sealed record BenchResult(
        int ClosedCorrect, int ClosedTotal, double OpenRuleCorrect, double OpenRuleUnknown, double OpenRuleWrong,
        int StrangerAcceptedCount, int StrangerTotal, int GenuineIdentifiedCount, int GenuineTotal,
        double IdentifiedAt1Percent, double SimilarityAt1Percent, double MeanProbabilityThreshold, double MeanSimilarityThreshold,
        IReadOnlyList<string> ClosedSetMisses)
    {
        /// <summary>The 0.2 rule (<see cref="LegacyOpenSetRule"/>) on the same open-set galleries: strangers named, enrolled identified.</summary>
        public int LegacyStrangerAccepted { get; init; }

        public int LegacyIdentified { get; init; }

        public double ClosedSet => ClosedCorrect / (double)ClosedTotal;

        public double StrangerAccepted => StrangerAcceptedCount / (double)StrangerTotal;

        public double GenuineIdentified => GenuineIdentifiedCount / (double)GenuineTotal;
    }

    /// <summary>Closed- and open-set numbers over <paramref name="splits"/> random enrollment/test splits.</summary>
    internal static BenchResult Measure(
        IReadOnlyList<(string Person, EnrolledFace Face)> faces, int perPerson, int splits, int firstSeed, EmbeddingModelIdentity model,
        SvmTrainingOptions training)
    {
        var names = faces.Select(f => f.Person).Distinct().Order(StringComparer.Ordinal).ToArray();
        var byName = names.ToDictionary(name => name, name => faces.Where(f => f.Person == name).Select(f => f.Face).ToArray());
        int closedCorrect = 0, closedTotal = 0, ruleCorrect = 0, ruleUnknown = 0, ruleWrong = 0;
        int strangerAccepted = 0, strangerTotal = 0, genuineOk = 0, genuineTotal = 0, legacyAccepted = 0, legacyOk = 0;
        var misses = new List<string>();
        var genuineScores = new List<double>(); // similarity to the predicted person, -inf if the SVM picked the wrong one
        var strangerScores = new List<double>();
        var pThresholds = new List<double>();
        var sThresholds = new List<double>();
        var epoch = DateTimeOffset.UnixEpoch;
        for (var split = 0; split < splits; split++)
        {
            var rng = new Random(firstSeed + split);
            var enrolled = new Dictionary<string, EnrolledFace[]>();
            var test = new List<(string Person, EnrolledFace Face)>();
            foreach (var name in names)
            {
                var mine = byName[name].ToArray(); // a copy: the shuffle is per split
                rng.Shuffle(mine);
                enrolled[name] = mine.Take(perPerson).ToArray();
                test.AddRange(mine.Skip(perPerson).Select(f => (name, f)));
            }

            // Closed set: everyone enrolled.
            var gallery = Gallery.Create(model, names.Select(n => new EnrolledPerson(n, enrolled[n])), epoch, training);
            var identifier = new Identifier(gallery);
            foreach (var (person, face) in test)
            {
                var m = identifier.Identify(face.Embedding);
                closedTotal++;
                var top = m.ClassifierChoice ?? m.Candidate;
                closedCorrect += top == person ? 1 : 0;
                if (top != person)
                {
                    misses.Add($"{face.Source}->{top}");
                }

                ruleCorrect += m.Known && m.Name == person ? 1 : 0;
                ruleUnknown += m.Known ? 0 : 1;
                ruleWrong += m.Known && m.Name != person ? 1 : 0;
            }

            // Open set: each person in turn is the stranger.
            foreach (var stranger in names)
            {
                var open = Gallery.Create(model, names.Where(n => n != stranger).Select(n => new EnrolledPerson(n, enrolled[n])), epoch, training);
                var id = new Identifier(open);
                var legacy = new LegacyOpenSetRule(open);
                pThresholds.Add(open.Thresholds.Probability);
                sThresholds.Add(open.Thresholds.Score);
                foreach (var (person, face) in test)
                {
                    var m = id.Identify(face.Embedding);
                    if (person == stranger)
                    {
                        strangerTotal++;
                        strangerAccepted += m.Known ? 1 : 0;
                        legacyAccepted += legacy.Name(face.Embedding) != IdentityMatch.Unknown ? 1 : 0;
                        strangerScores.Add(m.Score);
                    }
                    else
                    {
                        genuineTotal++;
                        genuineOk += m.Known && m.Name == person ? 1 : 0;
                        legacyOk += legacy.Name(face.Embedding) == person ? 1 : 0;
                        genuineScores.Add(m.Candidate == person ? m.Score : double.NegativeInfinity);
                    }
                }

                foreach (var face in enrolled[stranger])
                {
                    strangerScores.Add(id.Identify(face.Embedding).Score);
                }
            }
        }

        var at1 = VectorMath.Quantile(strangerScores, 0.99);
        var identifiedAt1 = genuineScores.Count(g => g > at1) / (double)genuineScores.Count;
        return new BenchResult(closedCorrect, closedTotal, ruleCorrect / (double)closedTotal, ruleUnknown / (double)closedTotal,
            ruleWrong / (double)closedTotal, strangerAccepted, strangerTotal, genuineOk, genuineTotal, identifiedAt1, at1,
            pThresholds.Average(), sThresholds.Average(), misses)
        {
            LegacyStrangerAccepted = legacyAccepted, LegacyIdentified = legacyOk,
        };
    }
}
