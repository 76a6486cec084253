using System.CommandLine;
using FaceWatch.Pipeline.Identification;

namespace FaceWatch.Commands;

/// <summary>
/// <c>facewatch enroll DIR</c>: builds a gallery from <c>DIR/&lt;person&gt;/*</c>; <c>--add NAME FILES...</c> and
/// <c>--remove NAME</c> change an existing gallery without embedding everyone again; <c>--camera NAME --name PERSON</c>
/// enrolls the one person in front of a configured camera (<see cref="CameraEnrollVerb"/>).
/// </summary>
internal static class EnrollCommand
{
    public static Command Create()
    {
        var dir = new Argument<string?>("DIR")
        {
            Description = "Folder with one subfolder of photos per person (DIR/<name>/*.jpg; jpg, png, webp decoded by content).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var gallery = GalleryOption();
        var aligned = AlignedOption();
        var add = new Option<string[]>("--add")
        {
            Description = "Add photos of one person to the gallery: --add NAME FILE [FILE...].",
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var remove = new Option<string?>("--remove") { Description = "Remove a person from the gallery." };
        var keepSuspects = new Option<bool>("--keep-suspects")
        {
            Description = "Keep faces flagged as likely mislabelled (by default they are left out of the gallery).",
        };
        var force = new Option<bool>("--force")
        {
            Description = "With DIR: replace an existing gallery file (without it, enroll DIR refuses to overwrite one).",
        };

        var strangerRate = new Option<double?>("--stranger-rate")
        {
            Description = "With DIR: the operating point, the share of strangers that may be named as someone (0.001 to 0.05; default 0.01). " +
                "--add and --remove keep the gallery's own.",
        };

        var camera = new Option<string?>("--camera")
        {
            Description = "Enroll the one person in front of this camera (a name from the configuration's Cameras list): --camera NAME --name PERSON.",
        };
        var name = new Option<string?>("--name") { Description = "With --camera: the person to enroll (added to them if already enrolled)." };
        var seconds = new Option<double>("--seconds")
        {
            Description = FormattableString.Invariant($"With --camera: how long to collect faces, from the first frame ({CameraEnrollVerb.MinSeconds:0} to {CameraEnrollVerb.MaxSeconds:0} s)."),
            DefaultValueFactory = _ => CameraEnrollVerb.DefaultSeconds,
        };
        var maxFaces = new Option<int>("--max-faces")
        {
            Description = $"With --camera: most faces to add ({CameraEnrollment.MinFaces} to {CameraEnrollment.MaxMaxFaces}); the best, each looking different from the others.",
            DefaultValueFactory = _ => CameraEnrollment.DefaultMaxFaces,
        };

        var command = new Command("enroll", "Enroll people from a folder of photos, or one person at a camera, into a gallery (embeddings, linear SVM, open-set thresholds).")
        {
            dir, gallery, aligned, add, remove, keepSuspects, force, strangerRate, camera, name, seconds, maxFaces,
        };
        command.SetAction((parseResult, ct) =>
        {
            var cameraName = parseResult.GetValue(camera);
            var person = parseResult.GetValue(name);
            var atCamera = cameraName is not null || person is not null;
            var otherModes = (parseResult.GetValue(dir) is null ? 0 : 1) + (parseResult.GetValue(add) is { Length: > 0 } ? 1 : 0)
                + (parseResult.GetValue(remove) is null ? 0 : 1);
            if (!atCamera || otherModes > 0)
            {
                return Task.FromResult(RunFromFiles(parseResult, ct));
            }

            return VerbConsole.RunAsync("enroll", () => cameraName is null || person is null
                ? throw new InvalidDataException("Enrolling at a camera needs both --camera NAME and --name PERSON.")
                : parseResult.GetValue(aligned) || parseResult.GetValue(keepSuspects) || parseResult.GetValue(force) || parseResult.GetValue(strangerRate) is not null
                ? throw new InvalidDataException("--aligned, --keep-suspects, --force and --stranger-rate are for photos; enroll --camera takes --seconds, --max-faces and --gallery.")
                : CameraEnrollVerb.RunAsync(
                    new(parseResult.GetValue(CommonOptions.Config), cameraName, person, parseResult.GetValue(seconds), parseResult.GetValue(maxFaces), parseResult.GetValue(gallery)),
                    ct));
        });
        return command;

        int RunFromFiles(ParseResult parseResult, CancellationToken ct) => VerbConsole.Run("enroll", () =>
        {
            var folder = parseResult.GetValue(dir);
            var addValues = parseResult.GetValue(add);
            var removeName = parseResult.GetValue(remove);
            var modes = (folder is null ? 0 : 1) + (addValues is { Length: > 0 } ? 1 : 0) + (removeName is null ? 0 : 1)
                + (parseResult.GetValue(camera) is null && parseResult.GetValue(name) is null ? 0 : 1);
            if (modes != 1)
            {
                throw new InvalidDataException("Give exactly one of: a folder DIR, --add NAME FILES..., --remove NAME, or --camera NAME --name PERSON.");
            }

            if (parseResult.GetResult(seconds) is { Implicit: false } || parseResult.GetResult(maxFaces) is { Implicit: false })
            {
                throw new InvalidDataException("--seconds and --max-faces are for enroll --camera NAME --name PERSON.");
            }

            if (addValues is { Length: > 0 })
            {
                if (addValues.Length < 2)
                {
                    throw new InvalidDataException("--add needs a name and at least one image: --add NAME FILE [FILE...].");
                }

                PersonName.ThrowIfInvalid(addValues[0]);
            }

            if (parseResult.GetValue(strangerRate) is { } rate)
            {
                if (folder is null)
                {
                    throw new InvalidDataException("--stranger-rate is for enroll DIR; --add and --remove keep the gallery's own operating point.");
                }

                if (!double.IsFinite(rate) || rate < OpenSetCalibration.MinStrangerRate || rate > OpenSetCalibration.MaxStrangerRate)
                {
                    throw new InvalidDataException(FormattableString.Invariant(
                        $"--stranger-rate {rate} is outside {OpenSetCalibration.MinStrangerRate}..{OpenSetCalibration.MaxStrangerRate}, the shares the model prior measured."));
                }
            }

            var settings = new EnrollmentSettings { Aligned = parseResult.GetValue(aligned), KeepSuspects = parseResult.GetValue(keepSuspects) };
            using var tools = FaceTools.Create(parseResult.GetValue(CommonOptions.Config), needDetector: !settings.Aligned && removeName is null);
            var path = tools.GalleryPath(parseResult.GetValue(gallery));

            // Before any embedding work: the gallery can be written, and enroll DIR does not silently replace one.
            GalleryStore.CheckWritable(path);
            if (folder is not null && File.Exists(path) && !parseResult.GetValue(force))
            {
                throw new InvalidOperationException(
                    $"Gallery '{path}' already exists: enroll DIR would replace it. Add --force to replace it, " +
                    "use --add NAME FILES... to add to it, or give another --gallery.");
            }

            if (removeName is not null)
            {
                var updated = tools.LoadGallery(path).Without(removeName, TimeProvider.System.GetUtcNow());
                GalleryStore.Save(updated, path);
                Console.WriteLine($"Removed {VerbConsole.Safe(removeName)}. {Describe(updated, path)}");
                return 0;
            }

            EnrollmentResult result;
            if (folder is not null)
            {
                var enroller = parseResult.GetValue(strangerRate) is { } operatingPoint
                    ? tools.Enroller(tools.Calibration with { StrangerRate = operatingPoint })
                    : tools.Enroller();
                result = enroller.Enroll(folder, settings, new VerbConsole.Progress("enroll"), ct);
            }
            else
            {
                var existing = tools.LoadGallery(path);
                result = tools.Enroller().Add(existing, addValues![0], addValues[1..], settings, new VerbConsole.Progress("enroll"), ct);
            }

            foreach (var issue in result.Issues)
            {
                VerbConsole.Warn(issue.Message);
            }

            PrintSummary(result.People);
            GalleryStore.Save(result.Gallery, path);
            Console.WriteLine(Describe(result.Gallery, path));
            return 0;
        });
    }

    internal static Option<string?> GalleryOption() => new("--gallery", "-g")
    {
        Description = "Gallery file (default: config Gallery:Path, else gallery.json in the working directory).",
    };

    internal static Option<bool> AlignedOption() => new("--aligned")
    {
        Description = "Images are already aligned face crops: skip detection, embed the whole image.",
    };

    private static void PrintSummary(IReadOnlyList<PersonSummary> people)
    {
        var width = Math.Max(6, people.Max(p => VerbConsole.Safe(p.Name).Length));
        Console.WriteLine($"{"person".PadRight(width)}  images  used  no face  unreadable  several faces  mislabelled?");
        foreach (var p in people)
        {
            Console.WriteLine($"{VerbConsole.Safe(p.Name).PadRight(width)}  {p.Images,6}  {p.Used,4}  {p.NoFace,7}  {p.Unreadable,10}  {p.SeveralFaces,13}  {p.Suspect,12}");
        }

        Console.WriteLine(
            $"{"total".PadRight(width)}  {people.Sum(p => p.Images),6}  {people.Sum(p => p.Used),4}  {people.Sum(p => p.NoFace),7}  " +
            $"{people.Sum(p => p.Unreadable),10}  {people.Sum(p => p.SeveralFaces),13}  {people.Sum(p => p.Suspect),12}");
    }

    internal static string Describe(Gallery g, string path) =>
        $"Gallery '{VerbConsole.Safe(path)}': {g.People.Count} {(g.People.Count == 1 ? "person" : "people")}, {g.FaceCount} faces, " +
        $"unknown unless score >= {g.Thresholds.Score:F3} ({ScoreWords(g.Thresholds)}) and probability >= {g.Thresholds.Probability:F2}, " +
        $"for {g.Thresholds.StrangerRate:0.###%} of strangers accepted ({g.Thresholds.Method}); " +
        (g.Thresholds.EvidenceScores.Count > 0
            ? $"a visit's evidence of {string.Join("/", ScorePrior.EvidenceSizes[1..])} faces needs {string.Join("/", g.Thresholds.EvidenceScores.Select(v => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}; "
            : "no evidence accumulation over a visit without a prior; ") +
        $"a tracked face keeps its track's name while cosine >= {g.SameFace.Cosine:F2} to the visit's appearance ({g.SameFace.Method}).";

    private static string ScoreWords(OpenSetThresholds t) =>
        t.MarginWeight == 0 ? "similarity to the nearest person" : FormattableString.Invariant($"similarity + {t.MarginWeight:0.##} x margin over the second nearest");
}
