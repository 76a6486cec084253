using System.Text.RegularExpressions;
using FaceWatch.Commands;
using FaceWatch.Commands.Calibration;
using OpenCvSharp;

namespace FaceWatch.Tests.Identification;

/// <summary><c>bench identify --lfw</c>: the open-set table on the shared calibration photos, and the probe degradation.</summary>
[Collection(IdentificationCollection.Name)]
public sealed partial class BenchOpenSetTests
{
    [Fact]
    public async Task Bench_identify_lfw_prints_the_sample_and_seed_and_a_row_per_gallery_size_and_face_width()
    {
        var (code, stdout, stderr) = await IdentificationFixture.RunCli(TestPaths.RepoRoot, null, "bench", "identify",
            "--lfw", TestPaths.Data("calibration", "lfw"), "--lfw-people", "3", "--lfw-probes", "2", "--lfw-strangers", "20",
            "--lfw-stranger-photos", "1", "--seed", "7");
        Assert.True(code == 0, stderr);
        Assert.Contains("(seed 7)", stdout, StringComparison.Ordinal);
        Assert.Contains("6 genuine and 20 stranger probes", stdout, StringComparison.Ordinal);
        var rows = stdout.Split('\n').Select(l => Row().Match(l)).Where(m => m.Success).ToArray();
        Assert.Equal(15, rows.Length);
        Assert.Equal(["2", "5", "10"], rows.Select(r => r.Groups["gallery"].Value).Distinct());
        Assert.Equal(["40", "56", "80", "112", "160"], rows.Select(r => r.Groups["px"].Value).Distinct());
        foreach (var r in rows)
        {
            // At most 1 % (here: none) of 20 strangers pass the swept threshold, by construction of the sweep;
            // the identified share is a real measurement: 3 well-photographed people are mostly named.
            Assert.InRange(int.Parse(r.Groups["genuine"].Value, System.Globalization.CultureInfo.InvariantCulture), 0, 6);
        }

        Assert.True(rows.Count(r => r.Groups["genuine"].Value == "6") >= 10, stdout);
    }

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

    [GeneratedRegex(@"^\s+(?<gallery>\d+)\s+(?<px>\d+)\s+\d+ \|\s+[\d.]+ % \((?<genuine>\d+)/6\)")]
    private static partial Regex Row();
}
