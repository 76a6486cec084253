using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FaceWatch.Tests.Infrastructure;

/// <summary>Runs the real desktop/browser tools the web tests need (Xvfb, xwd, ImageMagick, Chromium, systemd-analyze).</summary>
internal static class ExternalTools
{
    public static bool Exists(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)));

    public static string Require(string tool, string aptPackage) =>
        Exists(tool) ? tool : throw new InvalidOperationException($"'{tool}' is not installed: apt-get install {aptPackage} (scripts/setup.sh test installs it).");

    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(
        string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Headless Chromium with a fresh profile: returns the DOM after the page ran its scripts for <paramref name="budgetMs"/> ms of virtual time.</summary>
    public static async Task<string> ChromiumDumpDomAsync(string url, string profileDir, int budgetMs = 5000)
    {
        var chromium = Require("chromium", "chromium");
        var (code, stdout, stderr) = await RunAsync(
            chromium,
            [.. ChromiumArgs(profileDir), $"--virtual-time-budget={budgetMs}", "--dump-dom", url],
            TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"chromium --dump-dom exited {code}: {stderr}");
        return stdout;
    }

    public static async Task ChromiumScreenshotAsync(string url, string profileDir, string png, int budgetMs = 5000)
    {
        var chromium = Require("chromium", "chromium");
        var (code, _, stderr) = await RunAsync(
            chromium,
            [.. ChromiumArgs(profileDir), $"--virtual-time-budget={budgetMs}", $"--screenshot={png}", "--window-size=1000,800", url],
            TimeSpan.FromSeconds(60));
        Assert.True(code == 0 && File.Exists(png), $"chromium --screenshot exited {code}: {stderr}");
    }

    private static string[] ChromiumArgs(string profileDir) =>
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profileDir}",
    ];
}
