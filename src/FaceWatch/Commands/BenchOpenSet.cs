using FaceWatch.Commands.Calibration;
using FaceWatch.Pipeline.Identification;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Commands;

/// <summary>
/// The open-set part of <c>bench identify --lfw DIR</c> (issue 11): the folder's people are split in two by the seed.
/// One half calibrates a prior in this run (as <c>facewatch models calibrate</c> does), so the other half's strangers
/// were never seen by it; from the other half, enrolled people and strangers are drawn, and probes the gallery never
/// saw are degraded (face width, blur) as a camera would see them, then detected, aligned and embedded. Per gallery
/// size and probe condition, side by side on the same faces: the 0.2 rule (<see cref="LegacyOpenSetRule"/>), the new rule
/// with the held-out prior and with the shipped prior, the new rule on evidence of two photos (a visit's mean), and the
/// identified share at 1 % and 0.1 % strangers accepted by a threshold sweep on these very strangers (an upper bound).
/// </summary>
internal static class BenchOpenSet
{
    internal sealed record Settings(
        int People, int MinPhotos, int ProbesPerPerson, int Strangers, int StrangerPhotos, int Seed, int[] GallerySizes,
        ProbeDegradation[] Conditions, string? Cache, int CalibrationPeople = int.MaxValue);

    public static void Run(FaceTools tools, string root, Settings s, CancellationToken ct)
    {
        var start = System.Diagnostics.Stopwatch.StartNew();
        var rng = new Random(s.Seed);
        var all = Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .Select(d => (Name: Path.GetFileName(d), Files: Directory.GetFiles(d, "*.jpg").Order(StringComparer.Ordinal).ToArray()))
            .ToArray();
        rng.Shuffle(all);
        var half = all.Where((_, i) => i % 2 == 0).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var evaluation = all.Where(p => !half.Contains(p.Name)).OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
        // A smaller calibration set (--lfw-calibration-people) is embedded for the run instead of read from the cache.
        var calibrationPeople = s.CalibrationPeople >= half.Count ? half : all.Select(p => p.Name).Where(half.Contains).Take(s.CalibrationPeople).ToHashSet(StringComparer.Ordinal);
        var limited = calibrationPeople.Count < half.Count;

        var maxGallery = s.GallerySizes.Max();
        var minPhotos = Math.Max(s.MinPhotos, maxGallery + 2);
        var eligible = evaluation.Where(p => p.Files.Length >= minPhotos).ToArray();
        rng.Shuffle(eligible);
        var enrolled = eligible.Take(s.People).OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
        var enrolledNames = enrolled.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var others = evaluation.Where(p => !enrolledNames.Contains(p.Name)).ToArray();
        rng.Shuffle(others);
        var strangerPeople = others.Take(s.Strangers).ToArray();
        var strangers = strangerPeople.SelectMany(p =>
        {
            var files = p.Files.ToArray();
            rng.Shuffle(files);
            return files.Take(s.StrangerPhotos).Select(f => (Person: p.Name, File: f));
        }).ToArray();

        var galleryFiles = new List<(string Person, string File)>();
        var probes = new List<(string Label, string Person, string File)>();
        foreach (var (name, files) in enrolled)
        {
            var mine = files.ToArray();
            rng.Shuffle(mine);
            galleryFiles.AddRange(mine.Take(maxGallery).Select(f => (name, f)));
            probes.AddRange(mine.Skip(maxGallery).Take(s.ProbesPerPerson).Select(f => (name, name, f)));
        }

        probes.AddRange(strangers.Select(f => (IdentityMatch.Unknown, f.Person, f.File)));
        Console.WriteLine();
        Console.WriteLine($"Open set on '{root}' (seed {s.Seed}): {all.Length} people split in two; {calibrationPeople.Count} of one half calibrate a held-out prior, " +
            $"the other {evaluation.Length} give the enrolled and the strangers. Enrolled: {enrolled.Length} people drawn from the {eligible.Length} with >= {minPhotos} photos, " +
            $"the first {string.Join("/", s.GallerySizes)} of {maxGallery} shuffled photos each as gallery, up to {s.ProbesPerPerson} other photos each as probes; " +
            $"strangers: {strangers.Length} photos, up to {s.StrangerPhotos} of each of {strangerPeople.Length} other people.");
        Console.WriteLine($"  enrolled: {string.Join(", ", enrolled.Select(p => p.Name))}");

        var heldOut = HeldOutPrior(tools, root, calibrationPeople, limited, s, ct);
        var shipped = ScorePrior.For(tools.Embedder.ModelId, tools.Embedder.ModelPath);
        Console.WriteLine($"  held-out prior: margin weight {heldOut.MarginWeight}; shipped prior: {(shipped is null ? "none for this model" : shipped.Describe())}");

        // Gallery faces at the photos' own resolution.
        var galleryEmbeddings = new Dictionary<string, List<EnrolledFace>>(StringComparer.Ordinal);
        foreach (var (person, file) in galleryFiles)
        {
            ct.ThrowIfCancellationRequested();
            using var image = ImageLoader.Load(file, tools.Reader.MaxPixels);
            if (EmbedCentralFace(tools, image, file) is { } e)
            {
                if (!galleryEmbeddings.TryGetValue(person, out var list))
                {
                    galleryEmbeddings[person] = list = [];
                }

                list.Add(new EnrolledFace(Path.GetFileName(file), e.Embedding));
            }
        }

        // Probes under every condition: the face is found at full resolution first (its width sets the downscale).
        var byCondition = s.Conditions.ToDictionary(c => c, _ => new List<(string Label, string Person, float[]? Embedding, double Sharpness)>());
        foreach (var (label, person, file) in probes)
        {
            ct.ThrowIfCancellationRequested();
            using var image = ImageLoader.Load(file, tools.Reader.MaxPixels);
            var native = EmbedCentralFace(tools, image, file);
            foreach (var c in s.Conditions)
            {
                var e = native is null ? null : c.IsNone ? native : c.Embed(tools, image, file, native.Value.Width);
                byCondition[c].Add((label, person, e?.Embedding, e?.Sharpness ?? 0));
            }
        }

        Console.WriteLine($"  {galleryEmbeddings.Sum(p => p.Value.Count)} gallery faces; {probes.Count(p => p.Label != IdentityMatch.Unknown)} genuine and {strangers.Length} stranger probes.");
        Console.WriteLine($"  {"gallery",7} {"probes",-34} {"lost",4} | {"0.2 rule: identified",20} {"strangers",9} | {"new, held-out prior",19} {"strangers",9} {"score",5} | " +
            $"{"new, shipped prior",18} {"strangers",9} | {"evidence of 2",13} {"strangers",9} | {"sweep @1%",9} {"@0.1%",7}");
        foreach (var g in s.GallerySizes)
        {
            var people = galleryEmbeddings.Select(p => new EnrolledPerson(p.Key, p.Value.Take(g).ToArray())).ToArray();
            var held = Gallery.Create(tools.Embedder.Identity, people, DateTimeOffset.UnixEpoch, calibration: new GalleryCalibration(heldOut));
            var ship = Gallery.Create(tools.Embedder.Identity, people, DateTimeOffset.UnixEpoch, calibration: new GalleryCalibration(shipped));
            var legacy = new LegacyOpenSetRule(held);
            var heldId = new Identifier(held);
            var shipId = new Identifier(ship);
            foreach (var c in s.Conditions)
            {
                var faces = byCondition[c];
                var found = faces.Where(f => f.Embedding is not null).ToArray();
                int genuine = faces.Count(f => f.Label != IdentityMatch.Unknown), strangerCount = faces.Count - genuine;
                var legacyNames = found.Select(f => (f.Label, Name: legacy.Name(f.Embedding!))).ToArray();
                var heldMatches = found.Select(f => (f.Label, Match: heldId.Identify(f.Embedding!))).ToArray();
                var shipMatches = found.Select(f => (f.Label, Match: shipId.Identify(f.Embedding!))).ToArray();
                var (evGenuine, evRight, evStrangers, evAccepted) = Evidence(found, heldId);
                var sweep1 = Sweep(heldMatches, genuine, 0.01, strangerCount);
                var sweep01 = Sweep(heldMatches, genuine, 0.001, strangerCount);
                Console.WriteLine(
                    $"  {g,7} {c.ToString(),-34} {faces.Count - found.Length,4} | " +
                    $"{Pct(legacyNames.Count(f => f.Label != IdentityMatch.Unknown && f.Name == f.Label), genuine),20} {Pct(legacyNames.Count(f => f.Label == IdentityMatch.Unknown && f.Name != IdentityMatch.Unknown), strangerCount),9} | " +
                    $"{Pct(heldMatches.Count(f => f.Label != IdentityMatch.Unknown && f.Match.Known && f.Match.Name == f.Label), genuine),19} {Pct(heldMatches.Count(f => f.Label == IdentityMatch.Unknown && f.Match.Known), strangerCount),9} {held.Thresholds.Score,5:F3} | " +
                    $"{Pct(shipMatches.Count(f => f.Label != IdentityMatch.Unknown && f.Match.Known && f.Match.Name == f.Label), genuine),18} {Pct(shipMatches.Count(f => f.Label == IdentityMatch.Unknown && f.Match.Known), strangerCount),9} | " +
                    $"{Pct(evRight, evGenuine),13} {Pct(evAccepted, evStrangers),9} | {Pct(sweep1, genuine),9} {Pct(sweep01, genuine),7}");
            }
        }

        SharpnessCurve(byCondition.Values.SelectMany(v => v).Where(f => f.Embedding is not null).ToArray(), galleryEmbeddings, s.GallerySizes, tools, heldOut);
        Console.WriteLine("  (percent of genuine probes named right / of stranger probes named as anyone; a probe whose face was lost counts as unknown. " +
            "Evidence of 2: the mean of two probe photos of one person (genuine) or of one stranger, at the gallery's threshold for 2 observations. " +
            $"Sweep: the smallest score threshold (at the gallery's probability threshold) accepting at most 1 % / 0.1 % of these strangers, chosen on them. {start.Elapsed.TotalSeconds:F0} s)");
    }

    /// <summary>The prior measured on the calibration half only (probes as they are and at 56 px, as <c>models calibrate</c> does).</summary>
    private static ScorePrior HeldOutPrior(FaceTools tools, string root, HashSet<string> people, bool limited, Settings s, CancellationToken ct)
    {
        var only = limited ? people : null;
        var enrolled = CalibrateCommand.Embeddings(tools, root, ProbeDegradation.None, s.Cache, ct, only);
        var priors = new List<ScorePrior>();
        foreach (var degradation in new[] { ProbeDegradation.None, new ProbeDegradation(56, 0) })
        {
            var probes = degradation.IsNone ? enrolled : CalibrateCommand.Embeddings(tools, root, degradation, s.Cache, ct, only);
            var probeOf = probes.Items.ToDictionary(i => (i.Person, i.File), i => i.Embedding);
            var groups = enrolled.Items.Where(i => people.Contains(i.Person)).GroupBy(i => i.Person, StringComparer.Ordinal)
                .Select(g => (IReadOnlyList<CalibrationFace>)g.Select(i => new CalibrationFace(i.Embedding, probeOf.GetValueOrDefault((i.Person, i.File)))).ToArray())
                .ToArray();
            priors.Add(ScorePriorBuilder.Build(
                groups, tools.Embedder.Identity, $"held-out half: {groups.Length} people", degradation.ToString(),
                new ScorePriorBuilder.Settings(Seed: s.Seed, MarginWeight: priors.FirstOrDefault()?.MarginWeight), DateTimeOffset.UnixEpoch, null, ct));
        }

        return ScorePrior.Strictest(priors);
    }

    /// <summary>
    /// Identified and strangers accepted against the sharpness of the aligned crop (what <c>Recognition:MinSharpness</c>
    /// gates on), all probe conditions pooled, for the middle gallery size: where the gate should sit.
    /// </summary>
    private static void SharpnessCurve(
        (string Label, string Person, float[]? Embedding, double Sharpness)[] probes, Dictionary<string, List<EnrolledFace>> galleryEmbeddings,
        int[] gallerySizes, FaceTools tools, ScorePrior prior)
    {
        var g = gallerySizes.Order().ElementAt(gallerySizes.Length / 2);
        var gallery = Gallery.Create(
            tools.Embedder.Identity, galleryEmbeddings.Select(p => new EnrolledPerson(p.Key, p.Value.Take(g).ToArray())), DateTimeOffset.UnixEpoch,
            calibration: new GalleryCalibration(prior));
        var identifier = new Identifier(gallery);
        double[] edges = [0, 5, 10, 15, 25, 50, 100, double.PositiveInfinity];
        Console.WriteLine($"  sharpness of the aligned crop (variance of the Laplacian; Recognition:MinSharpness gates on it), all probe conditions, gallery of {g} photos, new rule:");
        Console.WriteLine($"  {"sharpness",12} {"genuine",7} {"identified",10} {"strangers",9} {"accepted",8}");
        for (var i = 0; i + 1 < edges.Length; i++)
        {
            var bucket = probes.Where(p => p.Sharpness >= edges[i] && p.Sharpness < edges[i + 1]).ToArray();
            var genuine = bucket.Where(p => p.Label != IdentityMatch.Unknown).ToArray();
            var strangers = bucket.Where(p => p.Label == IdentityMatch.Unknown).ToArray();
            var right = genuine.Count(p => identifier.Identify(p.Embedding!) is { Known: true } m && m.Name == p.Label);
            var accepted = strangers.Count(p => identifier.Identify(p.Embedding!).Known);
            var range = double.IsPositiveInfinity(edges[i + 1]) ? $">= {edges[i]}" : $"{edges[i]}-{edges[i + 1]}";
            Console.WriteLine($"  {range,12} {genuine.Length,7} {Pct(right, genuine.Length),10} {strangers.Length,9} {Pct(accepted, strangers.Length),8}");
        }
    }

    /// <summary>Means of two photos: consecutive pairs of each enrolled person's probes, and each stranger's photos.</summary>
    private static (int Genuine, int Right, int Strangers, int Accepted) Evidence(
        (string Label, string Person, float[]? Embedding, double Sharpness)[] found, Identifier identifier)
    {
        int genuine = 0, right = 0, strangers = 0, accepted = 0;
        foreach (var group in found.GroupBy(f => (f.Label, f.Person)))
        {
            var list = group.ToArray();
            for (var i = 0; i + 1 < list.Length; i += 2)
            {
                var mean = new float[list[i].Embedding!.Length];
                for (var d = 0; d < mean.Length; d++)
                {
                    mean[d] = list[i].Embedding![d] + list[i + 1].Embedding![d];
                }

                var m = identifier.Identify(mean, 2);
                if (group.Key.Label == IdentityMatch.Unknown)
                {
                    strangers++;
                    accepted += m.Known ? 1 : 0;
                }
                else
                {
                    genuine++;
                    right += m.Known && m.Name == group.Key.Label ? 1 : 0;
                }
            }
        }

        return (genuine, right, strangers, accepted);
    }

    /// <summary>Right names at the smallest score threshold accepting at most <paramref name="rate"/> of the strangers.</summary>
    private static int Sweep((string Label, IdentityMatch Match)[] matches, int genuine, double rate, int strangerCount)
    {
        var p = matches.Length == 0 ? 0 : matches[0].Match.ProbabilityThreshold;
        var strangerScores = matches.Where(m => m.Label == IdentityMatch.Unknown)
            .Select(m => m.Match.Probability >= p ? m.Match.Score : double.NegativeInfinity).ToList();
        // Strangers whose face was lost are never accepted: pad so the rate is of all strangers.
        strangerScores.AddRange(Enumerable.Repeat(double.NegativeInfinity, Math.Max(0, strangerCount - strangerScores.Count)));
        if (strangerScores.Count == 0 || genuine == 0)
        {
            return 0;
        }

        var threshold = Evaluation.ScoreThresholdFor(strangerScores, rate);
        return matches.Count(m => m.Label != IdentityMatch.Unknown && m.Match.Candidate == m.Label && m.Match.Probability >= p && m.Match.Score >= threshold);
    }

    /// <summary>The face nearest the image centre (the labelled one in these photos), embedded; null when none is found.</summary>
    internal static (float[] Embedding, double Width, double Sharpness)? EmbedCentralFace(FaceTools tools, Mat image, string file)
    {
        using var photo = tools.Reader.Read(image, file);
        if (photo.Faces.Count == 0)
        {
            return null;
        }

        var cx = image.Width / 2.0;
        var cy = image.Height / 2.0;
        var face = photo.Faces.MinBy(f => Math.Pow(f.Box.X + (f.Box.Width / 2) - cx, 2) + Math.Pow(f.Box.Y + (f.Box.Height / 2) - cy, 2))!;
        return (tools.Embedder.Embed([face.Crop])[0], face.Box.Width, Pipeline.Tracking.FaceQuality.Sharpness(face.Crop));
    }

    private static string Pct(int count, int total) =>
        total == 0 ? "n/a" : FormattableString.Invariant($"{count * 100.0 / total:F2}%");
}
