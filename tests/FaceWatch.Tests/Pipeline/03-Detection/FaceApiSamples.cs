using System.Diagnostics;

namespace FaceWatch.Tests.Pipeline.Detection;

/// <summary>
/// The six group photos in the npm package @vladmandic/face-api@1.7.15 (demo/sample1..6.jpg, 1920 px wide),
/// fetched once with <c>npm pack</c> into a cache folder under the temp directory and reused afterwards.
/// </summary>
public sealed class FaceApiSamples
{
    public const string Package = "@vladmandic/face-api@1.7.15";
    private static readonly Lazy<string> Folder = new(Fetch, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path(int sample) => System.IO.Path.Combine(Folder.Value, "package", "demo", $"sample{sample}.jpg");

    private static string Fetch()
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "facewatch-test-cache", "face-api-1.7.15");
        if (Enumerable.Range(1, 6).All(i => File.Exists(System.IO.Path.Combine(dir, "package", "demo", $"sample{i}.jpg"))))
        {
            return dir;
        }

        Directory.CreateDirectory(dir);
        Run("npm", dir, "pack", Package, "--silent");
        var tarball = Directory.GetFiles(dir, "vladmandic-face-api-*.tgz").Single();
        Run("tar", dir, ["-xzf", tarball, .. Enumerable.Range(1, 6).Select(i => $"package/demo/sample{i}.jpg")]);
        File.Delete(tarball);
        return dir;
    }

    private static void Run(string file, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {file}.");
        // Both pipes drain in the background, so a hung npm or tar still runs into the timeout below.
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 3 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.GetAwaiter().GetResult()}");
        }
    }
}
