using FaceWatch.Pipeline.Identification;

using FaceWatch.Tests.Pipeline.Identification;
namespace FaceWatch.Tests.Commands;

/// <summary><c>facewatch models calibrate</c> on real photos of 40 people of calibration/lfw (copied), with the real models.</summary>
[Collection(IdentificationCollection.Name)]
[Trait("Category", "Slow")]
public sealed class CalibrateVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-calibrate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Calibrate_writes_a_prior_for_the_model_that_galleries_can_use_and_never_overwrites_one_silently()
    {
        var people = Path.Combine(_dir, "people");
        foreach (var person in Directory.GetDirectories(TestPaths.Data("calibration", "lfw")).Order(StringComparer.Ordinal)
            .Where(d => Directory.GetFiles(d).Length is >= 3 and <= 12).Take(40))
        {
            var target = Path.Combine(people, Path.GetFileName(person));
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(person))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        var output = Path.Combine(_dir, "m.prior.json");
        var (code, stdout, stderr) = await IdentificationFixture.RunCli(_dir, null, "models", "calibrate", people, "--out", output, "--cache", Path.Combine(_dir, "cache"));
        Assert.True(code == 0, stderr);
        Assert.Contains("Margin weight", stdout, StringComparison.Ordinal);
        Assert.Contains("<- chosen", stdout, StringComparison.Ordinal);
        Assert.Contains("probes: faces 56 px wide", stdout, StringComparison.Ordinal);

        using var stream = File.OpenRead(output);
        var prior = ScorePrior.Read(stream, output);
        var shipped = ScorePrior.BuiltIn(prior.ModelId);
        Assert.NotNull(shipped); // the same model as the shipped prior's
        Assert.Contains("40 people", prior.Source, StringComparison.Ordinal);
        Assert.Contains(prior.Cells, c => c.People == 10 && c.Evidence == 4);
        Assert.DoesNotContain(prior.Cells, c => c.People == 50); // 40 people cannot make a 50-person gallery plus strangers
        // Measured on 40 people, the 1 % tail for 10 people x 2 faces lands near the one measured on 886.
        Assert.InRange(prior.StrangerTail(10, 2, 1, 0.01), shipped.StrangerTail(10, 2, 1, 0.01) - 0.08, shipped.StrangerTail(10, 2, 1, 0.01) + 0.08);

        // A second run finds the embeddings in the cache but refuses to replace the prior without --force.
        var again = await IdentificationFixture.RunCli(_dir, null, "models", "calibrate", people, "--out", output, "--cache", Path.Combine(_dir, "cache"));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"'{output}' exists; give --force", again.Stderr, StringComparison.Ordinal);
        var forced = await IdentificationFixture.RunCli(_dir, null, "models", "calibrate", people, "--out", output, "--cache", Path.Combine(_dir, "cache"), "--force");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.DoesNotContain("embedded", forced.Stderr, StringComparison.Ordinal); // from the cache

        var missing = await IdentificationFixture.RunCli(_dir, null, "models", "calibrate", Path.Combine(_dir, "nowhere"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("nowhere' does not exist", missing.Stderr, StringComparison.Ordinal);
    }
}
