using System.Text.Json.Nodes;
using FaceWatch.Pipeline.Identification;

using FaceWatch.Pipeline.Embedding;
using FaceWatch.Tests.Infrastructure;
namespace FaceWatch.Tests.Commands;

/// <summary>
/// enroll on hostile folders (FIFOs, device symlinks, loose and hidden files, duplicate folders, odd names) and
/// galleries that are damaged or cannot be written: the real executable, real special files.
/// </summary>
[Trait("Category", "Slow")]
public sealed class EnrollInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-enroll-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<CliResult> Run(params string[] args) => Cli.RunAsync(_dir, null, TimeSpan.FromMinutes(2), args);

    /// <summary>A copy of faces/knn/train (5 people, 9 photos).</summary>
    private string People(string name = "people")
    {
        var people = Path.Combine(_dir, name);
        foreach (var person in Directory.GetDirectories(TestPaths.Data("faces", "knn", "train")))
        {
            var target = Directory.CreateDirectory(Path.Combine(people, Path.GetFileName(person))).FullName;
            foreach (var f in Directory.GetFiles(person))
            {
                File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
            }
        }

        return people;
    }

    [Fact]
    public async Task A_fifo_and_symlinks_to_dev_zero_and_dev_urandom_are_skipped_by_name_without_hanging_or_eating_memory()
    {
        var people = People();
        var obama = Path.Combine(people, "obama");
        var fifo = Path.Combine(obama, "fifo.jpg");
        Cli.Tool("mkfifo", fifo);
        var zero = Path.Combine(obama, "zero.jpg");
        File.CreateSymbolicLink(zero, "/dev/zero");
        var random = Path.Combine(obama, "random.png");
        File.CreateSymbolicLink(random, "/dev/urandom");

        var run = await Run("enroll", people, "--gallery", "g.json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.PeakRssBytes < 1024L * 1024 * 1024, run.ToString());
        Assert.Contains($"'{fifo}' is a FIFO (named pipe), not a file: skipped.", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"'{zero}' is a character device (such as /dev/zero), not a file: skipped.", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"'{random}' is a character device", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("5 people, 9 faces", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_file_that_is_not_read_is_reported_gifs_are_enrolled_and_a_symlinked_duplicate_folder_is_refused()
    {
        var people = People();
        var loose = Path.Combine(people, "loose.jpg");
        File.Copy(TestPaths.Data("images", "obama_small.jpg"), loose);
        var sub = Directory.CreateDirectory(Path.Combine(people, "obama", "older")).FullName;
        File.Copy(TestPaths.Data("images", "obama_small.jpg"), Path.Combine(sub, "o.jpg"));
        var hidden = Path.Combine(people, "obama", ".hidden.jpg");
        File.Copy(TestPaths.Data("images", "obama_small.jpg"), hidden);
        var notes = Path.Combine(people, "obama", "notes.txt");
        File.WriteAllText(notes, "x");
        var gif = Path.Combine(people, "obama", "small.gif");
        Cli.Tool("ffmpeg", "-v", "error", "-y", "-i", TestPaths.Data("images", "obama_small.jpg"), gif);

        var run = await Run("enroll", people, "--gallery", "g.json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"'{loose}' is not in a person folder", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"'{sub}' is a sub-folder", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"'{hidden}' is a hidden file", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"'{notes}' is not an image file name (.txt)", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Stderr.Split('\n'), l => l.StartsWith("warning:", StringComparison.Ordinal) && l.Contains("small.gif", StringComparison.Ordinal)); // read and used
        Assert.Contains("5 people, 10 faces", run.Stdout, StringComparison.Ordinal);

        File.CreateSymbolicLink(Path.Combine(people, "barack"), Path.Combine(people, "obama"));
        var duplicate = await Run("enroll", people, "--gallery", "g2.json");
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("are the same folder", duplicate.Stderr, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(people, "barack"), duplicate.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "g2.json")));
    }

    [Fact]
    public async Task Enroll_never_replaces_a_gallery_without_force_and_checks_the_gallery_path_before_any_work()
    {
        var people = People();
        var first = await Run("enroll", people, "--gallery", "g.json");
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = File.ReadAllBytes(Path.Combine(_dir, "g.json"));

        var again = await Run("enroll", people, "--gallery", "g.json");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);
        Assert.Contains("--force", again.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("enroll: 1/", again.Stderr, StringComparison.Ordinal); // refused before reading any photo
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(_dir, "g.json")));

        var forced = await Run("enroll", people, "--gallery", "g.json", "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());

        // A missing folder is not created; a folder where no file can be made is found before the work, by the gallery's name.
        var missing = Path.Combine(_dir, "no", "such", "g.json");
        var inMissing = await Run("enroll", people, "--gallery", missing);
        Assert.Equal(1, inMissing.ExitCode);
        Assert.Contains($"folder '{Path.Combine(_dir, "no", "such")}' does not exist", inMissing.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "no")));

        var unwritable = await Run("enroll", people, "--gallery", "/proc/facewatch-gallery.json");
        Assert.Equal(1, unwritable.ExitCode);
        Assert.Contains("Gallery '/proc/facewatch-gallery.json' cannot be written", unwritable.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", unwritable.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("enroll: 1/", unwritable.Stderr, StringComparison.Ordinal);

        var directory = await Run("detect", people);
        Assert.Contains($"Image '{people}' is a directory", directory.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../etc")]
    [InlineData("unknown")]
    [InlineData("two\nlines")]
    [InlineData(" padded")]
    public async Task Add_refuses_names_that_cannot_be_a_person(string name)
    {
        var people = People();
        Assert.Equal(0, (await Run("enroll", people, "--gallery", "g.json")).ExitCode);
        var before = File.ReadAllBytes(Path.Combine(_dir, "g.json"));

        var add = await Run("enroll", "--add", name, TestPaths.Data("images", "obama_small.jpg"), "--gallery", "g.json");

        Assert.Equal(1, add.ExitCode);
        Assert.Contains("Person name '", add.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(_dir, "g.json")));
        Assert.Single(add.Stderr.Trim().Split('\n')); // one line, whatever the name holds
    }

    [Fact]
    public async Task Control_characters_in_names_and_file_names_are_escaped_in_text_output()
    {
        var people = People();
        var evil = Path.Combine(people, "eve\nFORGED: 1 face(s)");
        Directory.CreateDirectory(evil);
        var photo = Path.Combine(_dir, "x\nFORGED: 9 face(s).jpg");
        File.Copy(TestPaths.Data("images", "obama_small.jpg"), photo);
        File.Copy(TestPaths.Data("images", "obama_small.jpg"), Path.Combine(evil, "e.jpg"));

        var enroll = await Run("enroll", people, "--gallery", "g.json");
        var detect = await Run("detect", photo);

        Assert.True(enroll.ExitCode == 0, enroll.ToString());
        Assert.Contains("eve\\nFORGED", enroll.Stderr, StringComparison.Ordinal); // skipped: a name with a line break
        Assert.Contains("x\\nFORGED: 9 face(s).jpg: 320x240, 1 face(s)", detect.Stdout, StringComparison.Ordinal);
        foreach (var output in new[] { enroll.Stdout, enroll.Stderr, detect.Stdout, detect.Stderr })
        {
            Assert.DoesNotContain(output.Split('\n'), l => l.StartsWith("FORGED", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Galleries_with_nan_embeddings_impossible_thresholds_or_nobody_are_refused()
    {
        var model = new EmbeddingModelIdentity("abc123", "m.onnx", 112, 4);
        var path = Path.Combine(_dir, "g.json");
        GalleryStore.Save(Gallery.Create(model, [Person("ada", 1, 0, 0, 0), Person("bob", 0, 1, 0, 0)], DateTimeOffset.UnixEpoch), path);
        var good = File.ReadAllText(path);
        Assert.Equal(2, GalleryStore.Load(path, model).People.Count);

        string Refused(Action<JsonNode> change)
        {
            var json = JsonNode.Parse(good)!;
            change(json);
            File.WriteAllText(path, json.ToJsonString());
            return Assert.Throws<InvalidDataException>(() => GalleryStore.Load(path, model)).Message;
        }

        var nan = Convert.ToBase64String(new[] { float.NaN, 0f, 0f, 0f }.SelectMany(BitConverter.GetBytes).ToArray());
        Assert.Contains("not a finite number", Refused(j => j["people"]![0]!["faces"]![0]!["embedding"] = nan), StringComparison.Ordinal);
        Assert.Contains("not a finite number", Refused(j => j["classifier"]![0]!["weights"] = nan), StringComparison.Ordinal);
        Assert.Contains("probability threshold 5 is not between 0 and 1", Refused(j => j["thresholds"]!["probability"] = 5), StringComparison.Ordinal);
        Assert.Contains("score threshold -3 is not between -1 and 1", Refused(j => j["thresholds"]!["score"] = -3), StringComparison.Ordinal);
        Assert.Contains("no score threshold", Refused(j => j["thresholds"]!.AsObject().Remove("score")), StringComparison.Ordinal);
        Assert.Contains("evidence score thresholds are not finite numbers", Refused(j => j["thresholds"]!["evidenceScores"] = new JsonArray(0.5, 7)), StringComparison.Ordinal);
        Assert.Contains("share of strangers accepted 0.5 is not between", Refused(j => j["thresholds"]!["strangerRate"] = 0.5), StringComparison.Ordinal);
        Assert.Contains("margin weight -1 is not between 0 and 10", Refused(j => j["thresholds"]!["marginWeight"] = -1), StringComparison.Ordinal);
        Assert.Contains("no people", Refused(j => { j["people"] = new JsonArray(); j["classifier"] = null; }), StringComparison.Ordinal);
        Assert.Contains("'../../etc'", Refused(j => { j["people"]![0]!["name"] = "../../etc"; j["classifier"]![0]!["name"] = "../../etc"; }), StringComparison.Ordinal);
    }

    private static EnrolledPerson Person(string name, params float[] direction) => new(name, [new EnrolledFace(name + ".jpg", direction)]);
}
