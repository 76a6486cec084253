using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FaceWatch.Tests.Infrastructure;

/// <summary>
/// A private Xvfb display for window tests. GTK (inside OpenCV's HighGUI) reads <c>DISPLAY</c> from the
/// native environment once, and ends the process if its X server goes away, so the server is started with
/// <c>-terminate</c>: it exits by itself when the test process (its last client) disconnects.
/// </summary>
internal sealed partial class XvfbDisplay
{
    private static readonly Lazy<XvfbDisplay> Shared = new(Start);

    private XvfbDisplay(int number, Process process)
    {
        Number = number;
        Process = process;
    }

    public static XvfbDisplay Instance => Shared.Value;

    public int Number { get; }

    public string Name => ":" + Number.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Process Process { get; }

    /// <summary>Screenshot of the whole display via <c>xwd -root</c>, converted to PNG by ImageMagick.</summary>
    public async Task ScreenshotAsync(string png)
    {
        var xwd = Path.ChangeExtension(png, ".xwd");
        var (code, _, err) = await ExternalTools.RunAsync(ExternalTools.Require("xwd", "x11-apps"), ["-root", "-silent", "-display", Name, "-out", xwd], TimeSpan.FromSeconds(20));
        Assert.True(code == 0, $"xwd failed: {err}");
        (code, _, err) = await ExternalTools.RunAsync(ExternalTools.Require("convert", "imagemagick"), [xwd, png], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"convert failed: {err}");
        File.Delete(xwd);
    }

    /// <summary>Runs <c>xdotool</c> on this display.</summary>
    public Task<(int ExitCode, string StdOut, string StdErr)> XdotoolAsync(params string[] args) =>
        ExternalTools.RunAsync(ExternalTools.Require("xdotool", "xdotool"), args, TimeSpan.FromSeconds(20), new Dictionary<string, string> { ["DISPLAY"] = Name });

    private static XvfbDisplay Start()
    {
        var xvfb = ExternalTools.Require("Xvfb", "xvfb");
        for (var number = 90 + Random.Shared.Next(100); number < 400; number++)
        {
            if (File.Exists($"/tmp/.X{number}-lock") || File.Exists($"/tmp/.X11-unix/X{number}"))
            {
                continue;
            }

            var psi = new ProcessStartInfo(xvfb) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { $":{number}", "-screen", "0", "1600x900x24", "-nolisten", "tcp", "-terminate" })
            {
                psi.ArgumentList.Add(arg);
            }

            var process = Process.Start(psi)!;
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var clock = Stopwatch.StartNew();
            while (!File.Exists($"/tmp/.X11-unix/X{number}") && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(50);
            }

            if (process.HasExited || !File.Exists($"/tmp/.X11-unix/X{number}"))
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }

                continue;
            }

            // GTK reads the native environment; Environment.SetEnvironmentVariable alone would not reach it.
            _ = SetEnv("DISPLAY", $":{number}", 1);
            Environment.SetEnvironmentVariable("DISPLAY", $":{number}");
            return new XvfbDisplay(number, process);
        }

        throw new InvalidOperationException("no free X display number for Xvfb");
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
