using System.Text.RegularExpressions;
using FaceWatch.Commands;
using FaceWatch.Commands.Calibration;
using OpenCvSharp;

using FaceWatch.Tests.Pipeline.Identification;
namespace FaceWatch.Tests.Commands;

/// <summary><c>bench identify --lfw</c>: the open-set table on the shared calibration photos, and the probe degradation.</summary>
[Collection(IdentificationCollection.Name)]
[Trait("Category", "Slow")]
public sealed partial class BenchOpenSetTests
{
    [Fact]
    public async Task Bench_identify_lfw_prints_before_and_after_side_by_side_per_gallery_size_and_probe_condition()
    {
        var (code, stdout, stderr) = await IdentificationFixture.RunCli(TestPaths.RepoRoot, null, "bench", "identify",
            "--lfw", TestPaths.Data("calibration", "lfw"), "--lfw-people", "3", "--lfw-probes", "2", "--lfw-strangers", "20",
            "--lfw-stranger-photos", "1", "--seed", "7", "--lfw-calibration-people", "60");
        Assert.True(code == 0, stderr);
        Assert.Contains("(seed 7)", stdout, StringComparison.Ordinal);
        Assert.Contains("60 of one half calibrate a held-out prior", stdout, StringComparison.Ordinal);
        Assert.Contains("6 genuine and 20 stranger probes", stdout, StringComparison.Ordinal);
        var rows = stdout.Split('\n').Select(l => Row().Match(l)).Where(m => m.Success).ToArray();
        Assert.Equal(4 * 8, rows.Length);
        Assert.Equal(["2", "3", "5", "10"], rows.Select(r => r.Groups["gallery"].Value).Distinct());
        Assert.Equal(["40", "56", "80", "112", "160"], rows.Select(r => r.Groups["px"].Value).Distinct());
        Assert.Equal(["", "1", "2"], rows.Select(r => r.Groups["sigma"].Value).Distinct().Order());
        foreach (var r in rows)
        {
            // The held-out rule is calibrated for 1 % strangers: 20 strangers allow none, one is noise, more is a defect.
            Assert.True(Percent(r, "newStrangers") <= 5.0, r.Value);
            // Sharp or lightly blurred probes of 3 well-photographed people are nearly all named (measured: all 6 in every such row).
            if (r.Groups["sigma"].Value != "2")
            {
                Assert.True(Percent(r, "newIdentified") >= 66.0, r.Value);
            }
        }

        Assert.Contains("sharpness of the aligned crop", stdout, StringComparison.Ordinal);
    }

    private static double Percent(Match row, string group) =>
        row.Groups[group].Value == "n/a" ? 0 : double.Parse(row.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Degradation_keeps_the_size_and_removes_the_detail_a_small_face_does_not_have()
    {
        using var image = Cv2.ImRead(TestPaths.Data("faces", "knn", "test", "obama1.jpg"));
        using var degraded = new ProbeDegradation(25, 0).Apply(image, 100);
        Assert.Equal(image.Size(), degraded.Size());
        Assert.True(Sharpness(degraded) < Sharpness(image) / 2, $"{Sharpness(degraded)} vs {Sharpness(image)}");
        using var same = new ProbeDegradation(100, 0).Apply(image, 100);
        Assert.Equal(Sharpness(image), Sharpness(same), 6);
        using var blurred = new ProbeDegradation(0, 2).Apply(image, 100);
        Assert.Equal(image.Size(), blurred.Size());
        Assert.True(Sharpness(blurred) < Sharpness(image) / 2, $"{Sharpness(blurred)} vs {Sharpness(image)}");
    }

    private static double Sharpness(Mat image)
    {
        using var grey = image.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var lap = grey.Laplacian(MatType.CV_64F);
        Cv2.MeanStdDev(lap, out _, out var sd);
        return sd.Val0 * sd.Val0;
    }

    [GeneratedRegex(@"^\s+(?<gallery>\d+) faces (?<px>\d+) px wide(, Gaussian blur sigma (?<sigma>[\d.]+) px at that size)?\s+\d+ \|\s+(?<oldIdentified>[\d.]+)%\s+(?<oldStrangers>[\d.]+|n/a)%? \|\s+(?<newIdentified>[\d.]+)%\s+(?<newStrangers>[\d.]+|n/a)%? (?<score>[\d.]+) \|")]
    private static partial Regex Row();
}
