using System.Text.Json;
using FaceWatch.Tests.Pipeline.Identification;
namespace FaceWatch.Tests.Commands;

/// <summary>The real <c>facewatch</c> executable (built next to the tests) on real photos.</summary>
[Trait("Category", "Slow")]
public sealed class DetectCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-detect-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Json_lists_every_face_skips_unreadable_files_by_name_and_fails_the_exit_code()
    {
        var twoPeople = TestPaths.Data("images", "two_people.jpg");
        var broken = Path.Combine(_dir, "broken.jpg");
        await File.WriteAllTextAsync(broken, "not an image");
        var outDir = Path.Combine(_dir, "out");

        var (code, stdout, stderr) = await RunAsync("detect", "--json", "--out", outDir, "--aligned", twoPeople, broken);

        Assert.Equal(1, code);
        Assert.Contains(broken, stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(stdout);
        var image = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(twoPeople, image.GetProperty("file").GetString());
        Assert.Equal(1126, image.GetProperty("width").GetInt32());
        Assert.Equal(661, image.GetProperty("height").GetInt32());
        var faces = image.GetProperty("faces").EnumerateArray().ToArray();
        Assert.Equal(2, faces.Length);
        foreach (var face in faces)
        {
            var box = face.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(4, box.Length);
            Assert.True(box[2] > 50 && box[3] > 50);
            Assert.True(face.GetProperty("score").GetDouble() > 0.99);
            var landmarks = face.GetProperty("landmarks").EnumerateArray().ToArray();
            Assert.Equal(5, landmarks.Length);
            Assert.All(landmarks, p => Assert.Equal(2, p.GetArrayLength()));
        }

        Assert.True(File.Exists(Path.Combine(outDir, "two_people.faces.jpg")));
        Assert.True(File.Exists(Path.Combine(outDir, "two_people.face1.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "two_people.face2.png")));
    }

    [Fact]
    public async Task Text_output_has_one_line_per_face_and_exit_code_zero()
    {
        var (code, stdout, _) = await RunAsync("detect", TestPaths.Data("images", "obama-480p.jpg"));

        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("853x480, 1 face(s)", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("  face 1: x=", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_detect_prints_a_row_per_configuration()
    {
        var (code, stdout, stderr) = await RunAsync("bench", "detect", "--image", TestPaths.Data("images", "two_people.jpg"),
            "--size", "320x240", "--min-face", "60", "--threads", "1", "--iterations", "3", "--warmup", "1");

        Assert.True(code == 0, stderr);
        Assert.Contains(stdout.Split('\n'), l => l.StartsWith("320x240", StringComparison.Ordinal));
    }

    /// <summary>The shared CLI runner, from the repository root as the working directory.</summary>
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        IdentificationFixture.RunCli(TestPaths.RepoRoot, null, args);
}
