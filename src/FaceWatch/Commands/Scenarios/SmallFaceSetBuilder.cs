using System.Text.Json;
using FaceWatch.Hosting;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Commands.Scenarios;

/// <summary>One person of the small-faces set: the photos enrolled (relative to the data folder) and the probes pasted into the videos, by slot.</summary>
public sealed record SmallFacePerson(string Person, string Role, IReadOnlyList<string> Gallery, IReadOnlyList<SmallFaceProbe> Probes);

/// <summary>A probe photo cast into slot <paramref name="Slot"/> of video <paramref name="Video"/> at <paramref name="FaceWidth"/> px.</summary>
public sealed record SmallFaceProbe(string Slot, string Video, string Photo, double FaceWidth);

/// <summary>A probe photo that was drawn and not used, and why (no face found at full size, or none where it was pasted).</summary>
public sealed record DroppedProbe(string Slot, string Person, string Photo, double FaceWidth, string Reason);

/// <summary>Who is who in the small-faces set (<c>cast.json</c> beside the videos): enrolled people, distractors, strangers, dropped probes.</summary>
public sealed record SmallFaceCast(int Seed, IReadOnlyList<SmallFacePerson> People, IReadOnlyList<DroppedProbe> Dropped)
{
    public const string FileName = "cast.json";

    public static SmallFaceCast Load(string dir) =>
        JsonSerializer.Deserialize<SmallFaceCast>(File.ReadAllText(Path.Combine(dir, FileName)), ScenarioTruth.Json)
        ?? throw new InvalidDataException($"'{dir}/{FileName}' is empty.");
}

/// <summary>
/// Builds the "small-faces" set (<see cref="SmallFaceCatalog"/>) from <c>calibration/lfw</c>: with a fixed seed,
/// <see cref="EnrolledPeople"/> people with at least 10 photos are enrolled from 3 to 5 of their photos each, plus
/// <see cref="Distractors"/> enrolled people who never appear, all with the real <see cref="FolderEnroller"/> on the
/// full-size photos; each enrolled visit pastes another photo of its person (never an enrolled one), each stranger visit
/// a photo of a further person. Unlike <see cref="ScenarioSetBuilder"/>, probes are not checked against the identifier
/// (the set measures it): only a probe in which MTCNN finds no face where and as large as it is pasted is dropped
/// (listed in <c>cast.json</c>), and another photo drawn. Built once into a cache folder keyed by <see cref="Version"/>.
/// </summary>
public static class SmallFaceSetBuilder
{
    /// <summary>Bump when the people, the plan or the rendering change: a new cache folder is built.</summary>
    public const string Version = "small-v1";

    public const int Seed = 11;

    public const int EnrolledPeople = 6;

    public const int Distractors = 3;

    private const int MinEnrolledPhotos = 10;
    private const int MinDistractorPhotos = 5;

    // Gallery photos per enrolled person, then per distractor: varied, as real users enroll more or fewer.
    private static readonly int[] GallerySizes = [3, 4, 5, 3, 4, 5];
    private static readonly int[] DistractorGallerySizes = [3, 5, 4];

    // The labelled LFW face is centred (125, 125) in its 250x250 photo; a detection whose centre is this close is it.
    private const double CentreTolerance = 40;

    public static string DefaultDir => Path.Combine(Path.GetTempPath(), "facewatch-scenarios", Version);

    /// <summary>Loads the set from <paramref name="dir"/> when it is complete, else builds it there (about a minute).</summary>
    public static Task<ScenarioSet> LoadOrBuildAsync(
        string dataDir, string dir, IFaceDetector detector, IFaceEmbedder embedder, Action<string>? progress, CancellationToken ct) =>
        ScenarioSetBuilder.LoadOrBuildAsync(dir, Version, async (work, token) =>
            (SmallFaceCatalog.Names, await BuildAsync(dataDir, work, detector, embedder, progress, token).ConfigureAwait(false)), ct);

    private static async Task<IReadOnlyList<string>> BuildAsync(
        string dataDir, string dir, IFaceDetector detector, IFaceEmbedder embedder, Action<string>? progress, CancellationToken ct)
    {
        dataDir = Path.GetFullPath(dataDir);
        var lfw = Path.Combine(dataDir, "calibration", "lfw");
        var notes = new List<string>();
        var backgrounds = new List<Mat>();
        using var photos = new PhotoCache(detector);
        var sprites = new Dictionary<(string, double), FaceSprite>();
        try
        {
            progress?.Invoke("backgrounds");
            foreach (var still in new[] { "example_01.jpg", "example_02.jpg", "example_03.png" })
            {
                backgrounds.Add(ScenarioSetBuilder.Background(Path.Combine(dataDir, "images", "jurassic-groups", still), detector,
                    new Size(SmallFaceCatalog.Width, SmallFaceCatalog.Height)));
            }

            var plan = SmallFaceCatalog.Plan();
            var slots = plan.SelectMany((video, v) => video.Segments.Select(s => (Video: v, Segment: s))).ToDictionary(x => x.Segment.Person);
            var random = new Random(Seed);
            var everyone = Directory.GetDirectories(lfw).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
            Shuffle(everyone, random);
            string[] PhotosOf(string person)
            {
                var files = Directory.GetFiles(Path.Combine(lfw, person), "*.jpg").Order(StringComparer.Ordinal).ToArray();
                Shuffle(files, random);
                return files;
            }

            var dropped = new List<DroppedProbe>();
            FaceSprite SpriteOf(string photo, double width)
            {
                if (!sprites.TryGetValue((photo, width), out var sprite))
                {
                    var (image, face) = photos.Central(photo)!.Value;
                    sprite = FaceSprite.Create(image, face, width);
                    sprites[(photo, width)] = sprite;
                }

                return sprite;
            }

            // A probe is used when MTCNN finds its face pasted as in its visit: mid-visit, on the video's background, at the camera's minimum face size.
            bool Usable(string slot, string person, string photo)
            {
                var (video, segment) = slots[slot];
                if (photos.Central(photo) is null)
                {
                    dropped.Add(new DroppedProbe(slot, person, Relative(dataDir, photo), segment.FaceWidth, "no face at the photo's centre (full size)"));
                    return false;
                }

                var sprite = SpriteOf(photo, segment.FaceWidth);
                using var frame = backgrounds[video].Clone();
                var (centre, scale) = ScenarioRenderer.Place(segment, 0, (segment.Start + segment.End) / 2);
                sprite.Draw(frame, centre, scale);
                var box = sprite.FaceBoxAt(centre, scale);
                if (detector.Detect(frame, new CameraOptions().MinFaceSize).Any(d => Pipeline.Tracking.FaceTracker.Iou(d.Box, box) >= 0.3))
                {
                    return true;
                }

                dropped.Add(new DroppedProbe(slot, person, Relative(dataDir, photo), segment.FaceWidth, "no face found where it is pasted"));
                return false;
            }

            progress?.Invoke("drawing people from calibration/lfw");
            var people = new List<SmallFacePerson>();
            var used = new HashSet<string>(StringComparer.Ordinal);
            var enrolledSlots = Enumerable.Range(0, EnrolledPeople)
                .Select(k => Enumerable.Range(0, SmallFaceCatalog.EnrolledVisits).Where(i => i % EnrolledPeople == k).Select(i => $"K{i}").ToArray())
                .ToArray();
            foreach (var person in everyone.Where(p => Count(lfw, p) >= MinEnrolledPhotos))
            {
                ct.ThrowIfCancellationRequested();
                if (people.Count == EnrolledPeople)
                {
                    break;
                }

                var k = people.Count;
                var files = PhotosOf(person);
                var gallery = files.Where(photos.IsEnrollable).Take(GallerySizes[k]).ToArray();
                var probes = new List<SmallFaceProbe>();
                var rest = files.Except(gallery).ToList();
                foreach (var slot in enrolledSlots[k])
                {
                    while (rest.Count > 0)
                    {
                        var photo = rest[0];
                        rest.RemoveAt(0);
                        if (Usable(slot, person, photo))
                        {
                            probes.Add(new SmallFaceProbe(slot, plan[slots[slot].Video].Name, Relative(dataDir, photo), slots[slot].Segment.FaceWidth));
                            break;
                        }
                    }
                }

                used.Add(person);
                if (gallery.Length < GallerySizes[k] || probes.Count < enrolledSlots[k].Length)
                {
                    notes.Add($"{person} not enrolled: {gallery.Length} photos to enroll, {probes.Count} usable probes");
                    continue;
                }

                people.Add(new SmallFacePerson(person, "enrolled", [.. gallery.Select(f => Relative(dataDir, f))], probes));
            }

            foreach (var person in everyone.Where(p => !used.Contains(p) && Count(lfw, p) >= MinDistractorPhotos))
            {
                if (people.Count(p => p.Role == "distractor") == Distractors)
                {
                    break;
                }

                var size = DistractorGallerySizes[people.Count(p => p.Role == "distractor")];
                var gallery = PhotosOf(person).Where(photos.IsEnrollable).Take(size).ToArray();
                used.Add(person);
                if (gallery.Length == size)
                {
                    people.Add(new SmallFacePerson(person, "distractor", [.. gallery.Select(f => Relative(dataDir, f))], []));
                }
            }

            // Strangers: one photo of a further person per visit; a dropped photo makes way for the next person.
            var strangers = new Queue<string>(everyone.Where(p => !used.Contains(p)));
            for (var i = 0; i < SmallFaceCatalog.StrangerVisits; i++)
            {
                var slot = $"U{i}";
                while (strangers.TryDequeue(out var person))
                {
                    var photo = PhotosOf(person)[0];
                    if (Usable(slot, person, photo))
                    {
                        people.Add(new SmallFacePerson(person, "stranger", [], [new SmallFaceProbe(slot, plan[slots[slot].Video].Name, Relative(dataDir, photo), slots[slot].Segment.FaceWidth)]));
                        break;
                    }
                }
            }

            if (people.Count(p => p.Role == "enrolled") < EnrolledPeople || people.Count(p => p.Role == "stranger") < SmallFaceCatalog.StrangerVisits)
            {
                throw new InvalidDataException($"Too few usable people in '{lfw}': {string.Join("; ", notes)}");
            }

            progress?.Invoke("enrolling the gallery (FolderEnroller, full-size photos)");
            var enrollDir = Path.Combine(dir, "enroll");
            foreach (var p in people.Where(p => p.Gallery.Count > 0))
            {
                Directory.CreateDirectory(Path.Combine(enrollDir, p.Person));
                foreach (var file in p.Gallery)
                {
                    File.Copy(Path.Combine(dataDir, file), Path.Combine(enrollDir, p.Person, Path.GetFileName(file)));
                }
            }

            var reader = new PhotoFaceReader(detector, (image, face) => FaceAligner.Align(image, face.Landmarks, embedder.InputSize));
            var enrolled = new FolderEnroller(reader, embedder, DemoGallery.ModelOf(embedder), TimeProvider.System).Enroll(enrollDir, new EnrollmentSettings(), ct: ct);
            notes.AddRange(enrolled.Issues.Select(i => "enroll: " + i.Message));
            notes.AddRange(enrolled.People.Select(p => $"enrolled {p.Name}: {p.Used} of {p.Images} photos"));
            var galleryPath = Path.Combine(dir, "gallery.json");
            GalleryStore.Save(enrolled.Gallery, galleryPath);
            // As stored, whatever fields the gallery format's rule has: the figures are read against these.
            using (var stored = JsonDocument.Parse(await File.ReadAllTextAsync(galleryPath, ct).ConfigureAwait(false)))
            {
                notes.Add("gallery thresholds: " + (stored.RootElement.TryGetProperty("thresholds", out var t) ? JsonSerializer.Serialize(t) : "(none stored)"));
            }

            var cast = new SmallFaceCast(Seed, people, dropped);
            await File.WriteAllTextAsync(Path.Combine(dir, SmallFaceCast.FileName), JsonSerializer.Serialize(cast, ScenarioTruth.Json), ct).ConfigureAwait(false);
            notes.Add($"probes dropped (no face found): {dropped.Count(d => SmallFaceCatalog.IsEnrolledSlot(d.Slot))} for enrolled visits, {dropped.Count(d => !SmallFaceCatalog.IsEnrolledSlot(d.Slot))} for stranger visits");

            var bySlot = people.SelectMany(p => p.Probes.Select(probe => (p, probe))).ToDictionary(x => x.probe.Slot);
            for (var v = 0; v < plan.Count; v++)
            {
                var spec = plan[v] with
                {
                    Segments = [.. plan[v].Segments.Select(s => s with { Person = bySlot[s.Person].p.Person, Photo = bySlot[s.Person].probe.Photo })],
                };
                progress?.Invoke($"rendering {spec.Name}");
                var truth = await ScenarioRenderer.RenderAsync(spec, [backgrounds[v]], s => SpriteOf(Path.Combine(dataDir, s.Photo), s.FaceWidth),
                    Path.Combine(dir, spec.Name + ".mp4"), SmallFaceCatalog.Fps, ct).ConfigureAwait(false);
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

            foreach (var s in sprites.Values)
            {
                s.Dispose();
            }
        }
    }

    private static int Count(string lfw, string person) => Directory.GetFiles(Path.Combine(lfw, person), "*.jpg").Length;

    private static void Shuffle<T>(IList<T> items, Random random)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static string Relative(string dataDir, string file) => Path.GetRelativePath(dataDir, file).Replace('\\', '/');

    /// <summary>The LFW photos read so far and their labelled (central) face; owns the images.</summary>
    private sealed class PhotoCache(IFaceDetector detector) : IDisposable
    {
        private readonly Dictionary<string, (Mat Image, FaceDetection? Central, bool Largest)> _photos = new(StringComparer.Ordinal);

        /// <summary>The photo and its labelled face, or null when the detector finds no face at the centre.</summary>
        public (Mat Image, FaceDetection Face)? Central(string file)
        {
            var (image, central, _) = Read(file);
            return central is null ? null : (image, central);
        }

        /// <summary>
        /// A photo a user would enroll: its labelled face is found and is the largest (<see cref="FolderEnroller"/> takes
        /// the largest face, and another person's larger face would enroll the wrong person).
        /// </summary>
        public bool IsEnrollable(string file) => Read(file) is { Central: not null, Largest: true };

        public void Dispose()
        {
            foreach (var (image, _, _) in _photos.Values)
            {
                image.Dispose();
            }
        }

        private (Mat Image, FaceDetection? Central, bool Largest) Read(string file)
        {
            if (_photos.TryGetValue(file, out var known))
            {
                return known;
            }

            var image = ImageLoader.Load(file);
            IReadOnlyList<FaceDetection> faces;
            try
            {
                faces = detector.Detect(image);
            }
            catch
            {
                image.Dispose();
                throw;
            }

            var centre = new Point2f(image.Width / 2f, image.Height / 2f);
            var central = faces
                .Select(f => (Face: f, Distance: Math.Sqrt(Math.Pow(f.Box.X + (f.Box.Width / 2) - centre.X, 2) + Math.Pow(f.Box.Y + (f.Box.Height / 2) - centre.Y, 2))))
                .Where(f => f.Distance <= CentreTolerance)
                .OrderBy(f => f.Distance)
                .Select(f => f.Face)
                .FirstOrDefault();
            var largest = central is not null && faces.All(f => f.Box.Width * f.Box.Height <= central.Box.Width * central.Box.Height);
            var entry = (image, central, largest);
            _photos[file] = entry;
            return entry;
        }
    }
}
