using FaceWatch.Tests.Infrastructure;

namespace FaceWatch.Tests.Commands;

/// <summary><c>--out</c> never overwrites an input or an existing file, and two outputs of one run never collide.</summary>
[Trait("Category", "Slow")]
public sealed class OutputFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<CliResult> Run(params string[] args) => Cli.RunAsync(_dir, null, TimeSpan.FromMinutes(2), args);

    [Fact]
    public async Task Identify_out_into_the_photo_folder_keeps_every_photo_and_every_earlier_output()
    {
        var people = Path.Combine(_dir, "people", "obama");
        Directory.CreateDirectory(people);
        File.Copy(TestPaths.Data("faces", "knn", "train", "obama", "obama.jpg"), Path.Combine(people, "obama.jpg"));
        Assert.Equal(0, (await Run("enroll", Path.Combine(_dir, "people"), "--gallery", "g.json")).ExitCode);

        var photos = Directory.CreateDirectory(Path.Combine(_dir, "photos")).FullName;
        var jpg = Path.Combine(photos, "a.jpg");
        File.Copy(TestPaths.Data("images", "obama-480p.jpg"), jpg);
        var png = Path.Combine(photos, "a.png");
        File.Copy(TestPaths.Data("images", "obama_small.jpg"), png);
        var identified = Path.Combine(photos, "a.identified.jpg");
        var originals = Directory.GetFiles(photos).ToDictionary(f => f, File.ReadAllBytes);

        var first = await Run("identify", jpg, png, "--gallery", "g.json", "--out", photos);
        var second = await Run("identify", jpg, "--gallery", "g.json", "--out", photos);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        foreach (var (file, bytes) in originals)
        {
            Assert.Equal(bytes, File.ReadAllBytes(file));
        }

        // a.jpg and a.png share the stem: two outputs; the second run does not overwrite the first run's.
        Assert.Equal(
            ["a-2.identified.jpg", "a-3.identified.jpg", "a.identified.jpg", "a.jpg", "a.png"],
            Directory.GetFiles(photos).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains($"wrote {identified}", first.Stderr, StringComparison.Ordinal);
        Assert.Contains($"wrote {Path.Combine(photos, "a-3.identified.jpg")}", second.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Detect_out_gives_inputs_that_share_a_stem_their_own_files_and_keeps_existing_ones()
    {
        var gif = Path.Combine(_dir, "a.gif");
        var webp = Path.Combine(_dir, "a.webp");
        Cli.Tool("ffmpeg", "-v", "error", "-y", "-i", TestPaths.Data("images", "obama_small.jpg"), gif);
        Cli.Tool("ffmpeg", "-v", "error", "-y", "-i", TestPaths.Data("images", "obama-480p.jpg"), webp);
        var outDir = Directory.CreateDirectory(Path.Combine(_dir, "out")).FullName;
        var existing = Path.Combine(outDir, "a.faces.jpg");
        File.WriteAllText(existing, "keep me");

        var run = await Run("detect", gif, webp, "--out", outDir, "--aligned");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("keep me", File.ReadAllText(existing));
        Assert.Equal(
            ["a-2.face1.png", "a-2.faces.jpg", "a-3.face1.png", "a-3.faces.jpg", "a.faces.jpg"],
            Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
