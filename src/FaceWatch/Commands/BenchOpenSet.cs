using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Imaging;
using OpenCvSharp;

namespace FaceWatch.Commands;

/// <summary>
/// The open-set part of <c>bench identify --lfw DIR</c>: enrolled people and strangers drawn (seeded) from a folder of
/// many identities (calibration/lfw), probes the gallery never saw, degraded to a face width (downscaled so the
/// detected face is that wide, then upscaled back to the photo's size as a camera's scaler would), then detected,
/// aligned and embedded. Per gallery size and face width: the current rule at the gallery's own thresholds, and
/// the identified share at 1 % and 0.1 % strangers accepted (similarity threshold swept at the gallery's
/// probability threshold, as <c>facewatch evaluate</c> does).
/// </summary>
internal static class BenchOpenSet
{
    internal sealed record Settings(int People, int MinPhotos, int ProbesPerPerson, int Strangers, int StrangerPhotos, int Seed, int[] GallerySizes, int[] FaceWidths);

    public static void Run(FaceTools tools, string root, Settings s, CancellationToken ct)
    {
        var start = System.Diagnostics.Stopwatch.StartNew();
        var rng = new Random(s.Seed);
        var all = Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .Select(d => (Name: Path.GetFileName(d), Files: Directory.GetFiles(d, "*.jpg").Order(StringComparer.Ordinal).ToArray()))
            .ToArray();
        var maxGallery = s.GallerySizes.Max();
        var minPhotos = Math.Max(s.MinPhotos, maxGallery + 2);
        var eligible = all.Where(p => p.Files.Length >= minPhotos).ToArray();
        rng.Shuffle(eligible);
        var enrolled = eligible.Take(s.People).OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
        var enrolledNames = enrolled.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var others = all.Where(p => !enrolledNames.Contains(p.Name)).ToArray();
        rng.Shuffle(others);
        var strangers = others.Take(s.Strangers).SelectMany(p =>
        {
            var files = p.Files.ToArray();
            rng.Shuffle(files);
            return files.Take(s.StrangerPhotos);
        }).ToArray();
        var strangerPeople = Math.Min(s.Strangers, others.Length);

        var galleryFiles = new List<(string Person, string File)>();
        var probes = new List<(string Label, string File)>();
        foreach (var (name, files) in enrolled)
        {
            var mine = files.ToArray();
            rng.Shuffle(mine);
            galleryFiles.AddRange(mine.Take(maxGallery).Select(f => (name, f)));
            probes.AddRange(mine.Skip(maxGallery).Take(s.ProbesPerPerson).Select(f => (name, f)));
        }

        probes.AddRange(strangers.Select(f => (IdentityMatch.Unknown, f)));
        Console.WriteLine();
        Console.WriteLine($"Open set on '{root}' (seed {s.Seed}): {all.Length} people; enrolled {enrolled.Length} people drawn from the {eligible.Length} " +
            $"with >= {minPhotos} photos, the first {string.Join("/", s.GallerySizes)} of {maxGallery} shuffled photos each " +
            $"as gallery, up to {s.ProbesPerPerson} other photos each as probes; strangers: {strangers.Length} photos, {s.StrangerPhotos} random ones of each of {strangerPeople} other people.");
        Console.WriteLine($"  enrolled: {string.Join(", ", enrolled.Select(p => p.Name))}");

        // Gallery faces at the photos' own resolution.
        var galleryEmbeddings = new Dictionary<string, List<EnrolledFace>>(StringComparer.Ordinal);
        var noGalleryFace = 0;
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
            else
            {
                noGalleryFace++;
            }
        }

        // Probes: the face width at full resolution, then each degraded width.
        var byWidth = s.FaceWidths.ToDictionary(w => w, _ => new List<(string Label, float[]? Embedding)>());
        var nativeWidths = new List<double>();
        foreach (var (label, file) in probes)
        {
            ct.ThrowIfCancellationRequested();
            using var image = ImageLoader.Load(file, tools.Reader.MaxPixels);
            var native = EmbedCentralFace(tools, image, file);
            if (native is null)
            {
                foreach (var w in s.FaceWidths)
                {
                    byWidth[w].Add((label, null));
                }

                continue;
            }

            nativeWidths.Add(native.Value.Width);
            foreach (var w in s.FaceWidths)
            {
                using var degraded = Degrade(image, w / native.Value.Width);
                byWidth[w].Add((label, EmbedCentralFace(tools, degraded, file)?.Embedding));
            }
        }

        nativeWidths.Sort();
        Console.WriteLine($"  {galleryFiles.Count - noGalleryFace} gallery faces ({noGalleryFace} photos without a face); " +
            $"{probes.Count(p => p.Label != IdentityMatch.Unknown)} genuine and {strangers.Length} stranger probes; " +
            $"probe face width at full resolution: median {(nativeWidths.Count == 0 ? 0 : nativeWidths[nativeWidths.Count / 2]):F0} px " +
            "(widths above it are an upscale and back, about the photo itself)");
        Console.WriteLine($"  {"gallery",7} {"face px",7} {"no face",7} | {"current rule: identified",24} {"strangers accepted",18} {"(S, P)",13} | " +
            $"{"identified @1%",14} {"(S)",6} | {"identified @0.1%",16} {"(S)",6} | median similarity genuine / stranger");
        foreach (var g in s.GallerySizes)
        {
            var people = galleryEmbeddings.Select(p => new EnrolledPerson(p.Key, p.Value.Take(g).ToArray())).ToArray();
            var gallery = Gallery.Create(tools.Embedder.Identity, people, DateTimeOffset.UnixEpoch);
            var identifier = new Identifier(gallery);
            foreach (var w in s.FaceWidths)
            {
                var faces = byWidth[w].Select(p => new EvaluatedFace(p.Label, "",
                    p.Embedding is null ? new IdentityMatch(IdentityMatch.Unknown, false, 0, 0, null) : identifier.Identify(p.Embedding))).ToArray();
                var evaluation = new Evaluation(faces);
                var (points, _, _) = EvaluateCommand.OperatingPoints(evaluation, gallery, [0.01, 0.001]);
                var current = points[0];
                var genuineSim = Median(faces.Where(f => f.Label != IdentityMatch.Unknown && f.Match.Candidate == f.Label).Select(f => f.Match.Similarity));
                var strangerSim = Median(faces.Where(f => f.Label == IdentityMatch.Unknown && f.Match.Candidate is not null).Select(f => f.Match.Similarity));
                var at1 = points[1];
                var at01 = points[2];
                Console.WriteLine($"  {g,7} {w,7} {byWidth[w].Count(p => p.Embedding is null),7} | " +
                    $"{Pct(current.Identified, current.Genuine),24} {Pct(current.StrangersAccepted, current.Strangers),18} " +
                    $"{FormattableString.Invariant($"({current.SimilarityThreshold:F2}, {current.ProbabilityThreshold:F2})"),13} | " +
                    $"{Pct(at1.Identified, at1.Genuine),14} {at1.SimilarityThreshold,6:F3} | {Pct(at01.Identified, at01.Genuine),16} {at01.SimilarityThreshold,6:F3} | {genuineSim:F3} / {strangerSim:F3}");
            }
        }

        Console.WriteLine($"  (sweep: the gallery's probability threshold with the smallest similarity threshold accepting at most 1 % / 0.1 % of the " +
            $"{strangers.Length} stranger photos at that face width; with fewer than 1000 of them the 0.1 % point accepts none. {start.Elapsed.TotalSeconds:F0} s)");
    }

    /// <summary>Downscale by <paramref name="factor"/> (area averaging, as a smaller sensor image), then back up to the original size (bilinear, as a camera or player scales).</summary>
    internal static Mat Degrade(Mat image, double factor)
    {
        var size = new Size(Math.Max(1, (int)Math.Round(image.Width * factor)), Math.Max(1, (int)Math.Round(image.Height * factor)));
        using var small = new Mat();
        Cv2.Resize(image, small, size, 0, 0, factor < 1 ? InterpolationFlags.Area : InterpolationFlags.Linear);
        var back = new Mat();
        Cv2.Resize(small, back, image.Size(), 0, 0, InterpolationFlags.Linear);
        return back;
    }

    /// <summary>The face nearest the image centre (the labelled one in these photos), embedded; null when none is found.</summary>
    internal static (float[] Embedding, double Width)? EmbedCentralFace(FaceTools tools, Mat image, string file)
    {
        using var photo = tools.Reader.Read(image, file);
        if (photo.Faces.Count == 0)
        {
            return null;
        }

        var cx = image.Width / 2.0;
        var cy = image.Height / 2.0;
        var face = photo.Faces.MinBy(f => Math.Pow(f.Box.X + (f.Box.Width / 2) - cx, 2) + Math.Pow(f.Box.Y + (f.Box.Height / 2) - cy, 2))!;
        return (tools.Embedder.Embed([face.Crop])[0], face.Box.Width);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }

    private static string Pct(int count, int total) =>
        total == 0 ? "n/a" : FormattableString.Invariant($"{count * 100.0 / total:F2} % ({count}/{total})");
}
