using System.Text.Json;
using FaceWatch.Hosting;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Commands.Scenarios;

/// <summary>A built set: the gallery to run with and every scenario's truth (videos beside their JSON).</summary>
public sealed record ScenarioSet(string Dir, string GalleryPath, IReadOnlyList<ScenarioTruth> Scenarios, IReadOnlyList<string> Notes)
{
    public ScenarioTruth this[string name] => Scenarios.Single(s => s.Name == name);
}

/// <summary>
/// A set cast from the shared photos as <see cref="ScenarioSetBuilder"/> casts it: its frame size and rate, its
/// background stills (<c>images/jurassic-groups</c>, blurred), and its videos given the cast.
/// </summary>
internal sealed record PhotoSetLayout(Size FrameSize, double Fps, IReadOnlyList<string> Stills, IReadOnlyList<string> Names,
    Func<ScenarioCast, IReadOnlyList<ScenarioSpec>> Videos)
{
    /// <summary>The strangers and their candidate photos (paths relative to the data folder); null: the <c>faces/knn</c> strangers.</summary>
    public IReadOnlyList<(string Person, string[] Photos)>? Strangers { get; init; }
}

/// <summary>
/// Builds the scenario videos of <see cref="ScenarioCatalog"/> from the shared test photos, and the gallery they run
/// against: the six <c>faces/jurassic</c> people and kit_harington (<c>faces/knn/train</c>) are enrolled with the real
/// <see cref="FolderEnroller"/>, each from photos other than the ones pasted into the videos (the probes); the
/// strangers are the other <c>faces/knn</c> people. A probe is used only when <c>identify</c> on its pasted frame gives
/// the right answer (the person, or unknown), so every miss in a run is the live path's, not the photo's.
/// Built once into a cache folder (keyed by <see cref="Version"/>); later calls load it. Other sets cast the same way
/// pass their own <see cref="PhotoSetLayout"/> (<see cref="FixedCameraSetBuilder"/>).
/// </summary>
public static class ScenarioSetBuilder
{
    /// <summary>Bump when the scenarios, the cast rule or the rendering change: a new cache folder is built.</summary>
    public const string Version = "v1";

    private const int ProbesPerPerson = 3;
    private const double MinProbeFace = 90;

    // faces/jurassic files the data README lists as not clean photos of the person: neither enrolled nor probes.
    private static readonly Dictionary<string, int[]> Traps = new()
    {
        ["john_hammond"] = [14, 17, 18, 19, 20, 22, 25, 34, 36, 44],
        ["alan_grant"] = [10, 11, 14, 16, 23],
        ["ian_malcolm"] = [17, 21, 23],
        ["ellie_sattler"] = [9, 14, 24, 25, 26, 33],
        ["claire_dearing"] = [4, 19, 32, 38, 47],
        ["owen_grady"] = [4, 22, 29, 37],
    };

    private static readonly (string Person, string[] Photos)[] StrangerPhotos =
    [
        ("barack_obama", ["knn/train/obama/obama.jpg", "knn/test/obama1.jpg", "knn/train/obama/obama2.jpg"]),
        ("joe_biden", ["knn/train/biden/biden.jpg", "knn/train/biden/biden2.jpg"]),
        ("alex_lacamoire", ["knn/train/alex_lacamoire/img1.jpg", "knn/test/alex_lacamoire1.jpg"]),
        ("rose_leslie", ["knn/train/rose_leslie/img1.jpg", "knn/train/rose_leslie/img2.jpg"]),
    ];

    private static readonly PhotoSetLayout Layout = new(new Size(ScenarioCatalog.Width, ScenarioCatalog.Height), ScenarioCatalog.Fps,
        ["example_01.jpg", "example_02.jpg"], ScenarioCatalog.Names, ScenarioCatalog.All);

    public static string DefaultDir => Path.Combine(Path.GetTempPath(), "facewatch-scenarios", Version);

    /// <summary>Loads the set from <paramref name="dir"/> when it is complete, else builds it there.</summary>
    public static Task<ScenarioSet> LoadOrBuildAsync(
        string dataDir, string dir, IFaceDetector detector, IFaceEmbedder embedder, Action<string>? progress, CancellationToken ct) =>
        LoadOrBuildAsync(dataDir, dir, Version, Layout, detector, embedder, progress, ct);

    /// <summary>Loads the set of <paramref name="layout"/> from <paramref name="dir"/> when it is complete, else casts and builds it there.</summary>
    internal static Task<ScenarioSet> LoadOrBuildAsync(string dataDir, string dir, string version, PhotoSetLayout layout,
        IFaceDetector detector, IFaceEmbedder embedder, Action<string>? progress, CancellationToken ct) =>
        LoadOrBuildAsync(dir, version, async (work, token) =>
            (layout.Names, await BuildAsync(dataDir, work, layout, detector, embedder, progress, token).ConfigureAwait(false)), ct);

    /// <summary>
    /// Loads the set from <paramref name="dir"/> when its manifest is there, else runs <paramref name="build"/> into a work
    /// folder beside it (writing the videos, their JSON and <c>gallery.json</c>; returning the scenario names and notes),
    /// writes the manifest and renames the folder into place. Shared by every scenario set.
    /// </summary>
    internal static async Task<ScenarioSet> LoadOrBuildAsync(
        string dir, string version, Func<string, CancellationToken, Task<(IReadOnlyList<string> Names, IReadOnlyList<string> Notes)>> build, CancellationToken ct)
    {
        var manifest = Path.Combine(dir, "manifest.json");
        if (File.Exists(manifest))
        {
            return Load(dir);
        }

        // Build beside, then rename: a half-built set (crash, Ctrl+C) is never mistaken for a complete one.
        var parent = Path.GetDirectoryName(Path.GetFullPath(dir))!;
        Directory.CreateDirectory(parent);
        var work = Path.Combine(parent, $".build-{Path.GetFileName(dir)}-{Environment.ProcessId}");
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }

        Directory.CreateDirectory(work);
        try
        {
            var (names, notes) = await build(work, ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(work, "manifest.json"), JsonSerializer.Serialize(new Manifest(version, names, notes), ScenarioTruth.Json), ct).ConfigureAwait(false);
            try
            {
                Directory.Move(work, dir);
            }
            catch (IOException) when (File.Exists(manifest))
            {
                Directory.Delete(work, recursive: true); // another process finished the same set first
            }
        }
        catch
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }

            throw;
        }

        return Load(dir);
    }

    public static ScenarioSet Load(string dir)
    {
        var manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Path.Combine(dir, "manifest.json")), ScenarioTruth.Json)
            ?? throw new InvalidDataException($"'{dir}/manifest.json' is empty.");
        var scenarios = manifest.Scenarios.Select(n => ScenarioTruth.Load(Path.Combine(dir, n + ".json"))).ToArray();
        return new ScenarioSet(Path.GetFullPath(dir), Path.Combine(Path.GetFullPath(dir), "gallery.json"), scenarios, manifest.Notes);
    }

    private static async Task<IReadOnlyList<string>> BuildAsync(
        string dataDir, string dir, PhotoSetLayout layout, IFaceDetector detector, IFaceEmbedder embedder, Action<string>? progress, CancellationToken ct)
    {
        dataDir = Path.GetFullPath(dataDir);
        var notes = new List<string>();
        var faces = Path.Combine(dataDir, "faces");
        var backgrounds = new List<Mat>();
        var photos = new Dictionary<string, (Mat Image, FaceDetection Face)>();
        var sprites = new Dictionary<(string, double), FaceSprite>();
        try
        {
            progress?.Invoke("backgrounds");
            foreach (var still in layout.Stills)
            {
                backgrounds.Add(Background(Path.Combine(dataDir, "images", "jurassic-groups", still), detector, layout.FrameSize));
            }

            // Probes: the first clean single-face photos of each person (by file name); everything else clean is enrolled.
            progress?.Invoke("choosing probe photos");
            var enrollDir = Path.Combine(dir, "enroll");
            var candidates = new List<(string Person, string Photo)>();
            foreach (var personDir in Directory.GetDirectories(Path.Combine(faces, "jurassic")).Order(StringComparer.Ordinal))
            {
                var person = Path.GetFileName(personDir);
                var traps = Traps.GetValueOrDefault(person, []);
                var probes = 0;
                Directory.CreateDirectory(Path.Combine(enrollDir, person));
                foreach (var file in Directory.GetFiles(personDir).Order(StringComparer.Ordinal))
                {
                    ct.ThrowIfCancellationRequested();
                    if (int.TryParse(Path.GetFileNameWithoutExtension(file), out var number) && traps.Contains(number))
                    {
                        continue;
                    }

                    if (probes < ProbesPerPerson && SingleFace(file, detector, photos))
                    {
                        candidates.Add((person, file));
                        probes++;
                        continue;
                    }

                    File.Copy(file, Path.Combine(enrollDir, person, Path.GetFileName(file)));
                }
            }

            Directory.CreateDirectory(Path.Combine(enrollDir, "kit_harington"));
            foreach (var file in Directory.GetFiles(Path.Combine(faces, "knn", "train", "kit_harington")))
            {
                File.Copy(file, Path.Combine(enrollDir, "kit_harington", Path.GetFileName(file)));
            }

            var kit = Path.Combine(faces, "knn", "test", "johnsnow_test1.jpg");
            if (SingleFace(kit, detector, photos))
            {
                candidates.Add(("kit_harington", kit));
            }

            progress?.Invoke("enrolling the gallery (FolderEnroller)");
            var reader = new PhotoFaceReader(detector, (image, face) => FaceAligner.Align(image, face.Landmarks, embedder.InputSize));
            var enrolled = new FolderEnroller(reader, embedder, DemoGallery.ModelOf(embedder), TimeProvider.System).Enroll(enrollDir, new EnrollmentSettings(), ct: ct);
            notes.AddRange(enrolled.Issues.Select(i => "enroll: " + i.Message));
            var galleryPath = Path.Combine(dir, "gallery.json");
            GalleryStore.Save(enrolled.Gallery, galleryPath);
            var identifier = new Identifier(enrolled.Gallery);

            // One photo at a time, pasted as in the videos: only probes identify gets right are cast.
            progress?.Invoke("checking probes one photo at a time");
            FaceSprite SpriteOf(string photo, double width)
            {
                if (!sprites.TryGetValue((photo, width), out var sprite))
                {
                    var (image, face) = photos[photo];
                    sprite = FaceSprite.Create(image, face, width);
                    sprites[(photo, width)] = sprite;
                }

                return sprite;
            }

            // Where ScenarioCatalog's spot is, (320, 165) of 640x360, in any frame size.
            var spot = new Point2d(layout.FrameSize.Width / 2.0, layout.FrameSize.Height * 11 / 24.0);
            string? Identify(string photo)
            {
                using var frame = backgrounds[0].Clone();
                SpriteOf(photo, 96).Draw(frame, spot, 1);
                var face = detector.Detect(frame, 40).OrderByDescending(d => d.Box.Width * d.Box.Height).FirstOrDefault();
                if (face is null)
                {
                    return null;
                }

                using var crop = FaceAligner.Align(frame, face.Landmarks, embedder.InputSize);
                return identifier.Identify(embedder.Embed([crop])[0]).Name;
            }

            var known = new List<IReadOnlyList<CastMember>>();
            foreach (var group in candidates.GroupBy(c => c.Person))
            {
                var ok = new List<CastMember>();
                foreach (var (person, photo) in group)
                {
                    var said = Identify(photo);
                    if (said == person)
                    {
                        ok.Add(new CastMember(person, Relative(dataDir, photo), Enrolled: true));
                    }
                    else
                    {
                        notes.Add($"probe {Relative(dataDir, photo)} not cast: identify says {said ?? "no face"}");
                    }
                }

                if (ok.Count > 0)
                {
                    known.Add(ok);
                }
            }

            var strangers = new List<IReadOnlyList<CastMember>>();
            foreach (var (person, files) in layout.Strangers ?? [.. StrangerPhotos.Select(s => (s.Person, s.Photos.Select(f => "faces/" + f).ToArray()))])
            {
                var ok = new List<CastMember>();
                foreach (var file in files.Select(f => Path.Combine(dataDir, f)))
                {
                    if (!SingleFace(file, detector, photos))
                    {
                        notes.Add($"stranger photo {Relative(dataDir, file)} not cast: not one clear face");
                        continue;
                    }

                    var said = Identify(file);
                    if (said == IdentityMatch.Unknown)
                    {
                        ok.Add(new CastMember(person, Relative(dataDir, file), Enrolled: false));
                    }
                    else
                    {
                        notes.Add($"stranger photo {Relative(dataDir, file)} not cast: identify says {said ?? "no face"}");
                    }
                }

                if (ok.Count > 0)
                {
                    strangers.Add(ok);
                }
            }

            if (known.Count < 3 || strangers.Count < 1)
            {
                throw new InvalidDataException($"Too few usable probe photos ({known.Count} enrolled people, {strangers.Count} strangers): {string.Join("; ", notes)}");
            }

            var cast = new ScenarioCast(known, strangers);
            foreach (var spec in layout.Videos(cast))
            {
                progress?.Invoke($"rendering {spec.Name}");
                var video = Path.Combine(dir, spec.Name + ".mp4");
                var truth = await ScenarioRenderer.RenderAsync(spec, backgrounds, s => SpriteOf(Path.Combine(dataDir, s.Photo), s.FaceWidth), video, layout.Fps, ct)
                    .ConfigureAwait(false);
                truth.Save(Path.Combine(dir, spec.Name + ".json"));
            }

            return notes;
        }
        finally
        {
            foreach (var b in backgrounds)
            {
                b.Dispose();
            }

            foreach (var (image, _) in photos.Values)
            {
                image.Dispose();
            }

            foreach (var s in sprites.Values)
            {
                s.Dispose();
            }
        }
    }

    /// <summary>A film still, cover-cropped to <paramref name="size"/> and blurred until the detector finds no face in it.</summary>
    internal static Mat Background(string file, IFaceDetector detector, Size size)
    {
        using var still = ImageLoader.Load(file);
        var scale = Math.Max((double)size.Width / still.Width, (double)size.Height / still.Height);
        var w = (int)Math.Round(size.Width / scale);
        var h = (int)Math.Round(size.Height / scale);
        using var view = new Mat(still, new Rect((still.Width - w) / 2, (still.Height - h) / 2, Math.Min(w, still.Width), Math.Min(h, still.Height)));
        using var sized = new Mat();
        Cv2.Resize(view, sized, size, 0, 0, InterpolationFlags.Area);
        foreach (var sigma in new[] { 8.0, 14, 22, 34 })
        {
            var blurred = new Mat();
            Cv2.GaussianBlur(sized, blurred, new Size(0, 0), sigma);
            if (detector.Detect(blurred, 20).Count == 0)
            {
                return blurred;
            }

            blurred.Dispose();
        }

        throw new InvalidDataException($"'{file}' still shows faces after blurring; pick another background.");
    }

    /// <summary>True when the photo has exactly one face, large and clear enough to paste; remembers it for the sprites.</summary>
    private static bool SingleFace(string file, IFaceDetector detector, Dictionary<string, (Mat Image, FaceDetection Face)> photos)
    {
        Mat image;
        try
        {
            image = ImageLoader.Load(file);
        }
        catch (ImageLoadException)
        {
            return false;
        }

        var found = detector.Detect(image, 40);
        if (found.Count == 1 && found[0].Box.Width >= MinProbeFace && found[0].Score >= 0.95)
        {
            // Kept for the sprites: shrunk so the face is at most 200 px wide (sprites are about 100), not whole 2560 px photos.
            var face = found[0];
            var k = Math.Min(1.0, 200 / face.Box.Width);
            if (k < 1)
            {
                var small = new Mat();
                Cv2.Resize(image, small, new Size(0, 0), k, k, InterpolationFlags.Area);
                image.Dispose();
                image = small;
                face = face with
                {
                    Box = new Rect2f((float)(face.Box.X * k), (float)(face.Box.Y * k), (float)(face.Box.Width * k), (float)(face.Box.Height * k)),
                    Landmarks = face.Landmarks.Select(p => new Point2f((float)(p.X * k), (float)(p.Y * k))).ToArray(),
                };
            }

            photos[file] = (image, face);
            return true;
        }

        image.Dispose();
        return false;
    }

    private static string Relative(string dataDir, string file) => Path.GetRelativePath(dataDir, file).Replace('\\', '/');

    private sealed record Manifest(string Version, IReadOnlyList<string> Scenarios, IReadOnlyList<string> Notes);
}
