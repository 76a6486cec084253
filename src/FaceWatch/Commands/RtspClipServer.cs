using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FaceWatch.Commands;

/// <summary>
/// A real RTSP server on 127.0.0.1 serving a video file (GStreamer's RTSP server through
/// <c>tests/FaceWatch.Tests/Infrastructure/rtsp_server.py</c>), for the pipeline bench and the daemon tests.
/// Needs <c>python3-gst-1.0</c> and <c>gir1.2-gst-rtsp-server-1.0</c> (installed by <c>scripts/setup.sh test</c>).
/// </summary>
internal sealed class RtspClipServer : IAsyncDisposable
{
    private static readonly string[] QuietOverwrite = ["-v", "error", "-y"];

    public const string ScriptRelativePath = "tests/FaceWatch.Tests/Infrastructure/rtsp_server.py";

    private readonly string _script;
    private readonly string _file;
#pragma warning disable CA2213 // disposed in KillAsync, which DisposeAsync calls
    private Process? _process;
#pragma warning restore CA2213

    private RtspClipServer(string script, string file, int port)
    {
        _script = script;
        _file = file;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"rtsp://127.0.0.1:{Port}/clip";

    public bool Running => _process is { HasExited: false };

    /// <summary>The server's process id (tests freeze it with SIGSTOP to make a stream stall without closing).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("The server is not running.");

    public static async Task<RtspClipServer> StartAsync(string file, int? port = null, CancellationToken cancellationToken = default)
    {
        var server = new RtspClipServer(FindScript(), file, port ?? FreePort());
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not READY (error, time-out or cancel): the caller never gets the server, so stop and dispose its process here.
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    /// <summary>
    /// A long file that plays <paramref name="clip"/> <paramref name="repeats"/> times (optionally scaled, e.g. 1280x720,
    /// and at <paramref name="fps"/> frames per second, as a CCTV stream; optionally only its first
    /// <paramref name="seconds"/>), made once and cached.
    /// </summary>
    public static string PrepareLoop(string clip, int repeats, string? size = null, int? fps = null, double? seconds = null)
    {
        var clipPath = Path.GetFullPath(clip);
        if (!File.Exists(clipPath))
        {
            throw new FileNotFoundException($"Clip '{clipPath}' does not exist.", clipPath);
        }

        var dir = Path.Combine(Path.GetTempPath(), "facewatch-clips");
        Directory.CreateDirectory(dir);
        // The length tells a clip from another of the same name (a scenario set's video rebuilt at a new version).
        var stem = $"{Path.GetFileNameWithoutExtension(clipPath)}-{new FileInfo(clipPath).Length}-{size ?? "orig"}{(fps is { } r ? $"-{r}fps" : "")}{(seconds is { } t ? string.Create(CultureInfo.InvariantCulture, $"-{t:0.###}s") : "")}";
        var looped = Path.Combine(dir, $"{stem}-x{repeats}.mp4");
        if (File.Exists(looped))
        {
            return looped;
        }

        var source = clipPath;
        if (size is not null || fps is not null || seconds is not null)
        {
            // Re-encode once at the new size and rate; looping below only copies the stream.
            source = Path.Combine(dir, $"{stem}.mp4");
            if (!File.Exists(source))
            {
                var filters = size is null ? "null" : $"scale={size.Replace('x', ':')}";
                List<string> args = ["-i", clipPath, "-an", "-vf", filters];
                if (seconds is { } take)
                {
                    args.AddRange(["-t", take.ToString(CultureInfo.InvariantCulture)]);
                }

                if (fps is { } rate)
                {
                    args.AddRange(["-r", rate.ToString(CultureInfo.InvariantCulture)]);
                }

                args.AddRange(["-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p", source + ".tmp.mp4"]);
                RunFfmpeg([.. args]);
                File.Move(source + ".tmp.mp4", source, overwrite: true);
            }
        }

        RunFfmpeg(["-stream_loop", (repeats - 1).ToString(CultureInfo.InvariantCulture), "-i", source, "-an", "-c:v", "copy", looped + ".tmp.mp4"]);
        File.Move(looped + ".tmp.mp4", looped, overwrite: true);
        return looped;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string FindScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ScriptRelativePath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException($"'{ScriptRelativePath}' not found above the working folder; run from the repository.");
    }

    /// <summary>Kills the server at once (clients see the connection drop).</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().ConfigureAwait(false);
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts the server again on the same port; a server still running is stopped (and its process disposed) first.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await KillAsync().ConfigureAwait(false);
        await StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await KillAsync().ConfigureAwait(false);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; // the system python has the GStreamer bindings
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { _script, "--port", Port.ToString(CultureInfo.InvariantCulture), "--file", _file })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        _process = process;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            if (line is null)
            {
                var error = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                throw new InvalidOperationException($"RTSP server did not start: {error.Trim()}");
            }

            if (line.StartsWith("READY", StringComparison.Ordinal))
            {
                break;
            }
        }

        // Keep draining its output so it never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
    }

    private static void RunFfmpeg(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in QuietOverwrite.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg failed ({process.ExitCode}): {error.Trim()}");
        }
    }
}
