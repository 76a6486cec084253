using System.Diagnostics;
using System.Globalization;

namespace FaceWatch.Tests.Infrastructure;

/// <summary>What one run of the real <c>facewatch</c> executable did: exit code, output, and its peak memory.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr, long PeakRssBytes, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"exit {ExitCode}, peak {PeakRssBytes / (1024 * 1024)} MB, {Elapsed.TotalSeconds:0.0} s\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs the real <c>facewatch</c> CLI (built next to the tests) as a child process and samples its peak RSS.</summary>
internal static class Cli
{
    /// <summary>How every test starts the real CLI: <c>dotnet facewatch.dll ARGS</c> with the tests' models folder and <paramref name="env"/>.</summary>
    public static ProcessStartInfo StartInfo(string workingDir, IDictionary<string, string>? env, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "facewatch.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FACEWATCH_Models__Dir"] = TestPaths.ModelsDir;
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        return start;
    }

    public static async Task<CliResult> RunAsync(string workingDir, IDictionary<string, string>? env, TimeSpan timeout, params string[] args)
    {
        var start = StartInfo(workingDir, env, args);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            // VmHWM is the kernel's own high-water mark of the resident set: sampling it often enough sees the peak
            // (it only grows), up to the last sample before the exit.
            while (!process.HasExited)
            {
                peak = Math.Max(peak, HighWaterMark(process.Id));
                await Task.WhenAny(process.WaitForExitAsync(cts.Token), Task.Delay(20, cts.Token));
                cts.Token.ThrowIfCancellationRequested();
            }

            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"facewatch {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr, peak, clock.Elapsed);
    }

    private static long HighWaterMark(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // Exited between the check and the read.
        }

        return 0;
    }

    /// <summary>Runs a tool that must exist (the tests fail, never skip, when it is missing).</summary>
    public static void Tool(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException($"{file} did not start");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {error}");
    }
}
