using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using OpenCvSharp;

using FaceWatch.Core.Text;
namespace FaceWatch.Pipeline.Capture;

// Size: the ffmpeg child process end to end (probe, argument building with secrets kept off the command line, pipe reading, abort); the parts share the process and its state.
/// <summary>
/// A URL (rtsp, rtsps, http(s) MJPEG, anything ffmpeg reads) through an <c>ffmpeg</c> child process that writes raw
/// BGR frames of a known size to its stdout; each read takes exactly one frame's bytes into a Mat from its
/// <see cref="Buffers"/> (reused once the frame before is disposed: no 2.7 MB allocation per 720p frame).
/// The frame size comes from the camera's Width/Height (ffmpeg scales to it) or from ffprobe.
/// <para>
/// Secrets never go on a child's command line (any local user can read it with <c>ps</c> or <c>/proc/PID/cmdline</c>):
/// a URL with credentials (user-info or a password query value) or a <c>-headers</c> input argument is handed to
/// ffmpeg and ffprobe as a one-entry ffconcat script on their standard input (<c>-f concat -safe 0 -i pipe:0</c>), with
/// the RTSP transport and the headers as per-input <c>option</c> lines; nothing is written to disk.
/// </para>
/// </summary>
public sealed class FfmpegFrameSource : IFrameSource
{
    // ffmpeg repeats some errors every frame: log the first few of a session, keep the rest at debug level.
    private const int LoggedStderrLines = 8;

    private readonly CameraOptions _camera;
    private readonly CaptureOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Queue<string> _recentStderr = new();
    // The frame queue, the frame being processed, the one being read, and one in hand-over.
    private readonly FrameBufferPool _buffers = new(capacity: 4);
    private Process? _probe;
    private Process? _ffmpeg;
    private Stream? _stdout;
    private int _stderrLines;
    private volatile bool _aborted;

    public FfmpegFrameSource(CameraOptions camera, CaptureOptions options, ILogger logger)
    {
        _camera = camera;
        _options = options;
        _logger = logger;
    }

    public int Width { get; private set; }

    public int Height { get; private set; }

    public bool EndIsFinal => false;

    public FrameBufferPool Buffers => _buffers;

    /// <summary>Protocols the private (stdin script) input may use: the script's own pipe and every supported URL scheme.</summary>
    internal const string PrivateInputProtocols = "pipe,crypto,data,tcp,udp,rtp,srtp,rtsp,rtsps,tls,http,https,httpproxy,rtmp,rtmps,rtmpt,rtmpts,srt";

    private bool IsRtsp => _camera.Source.StartsWith("rtsp", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The source or the input arguments carry a secret: the input is then given on standard input, never as an argument.
    /// </summary>
    public bool UsesPrivateInput =>
        UrlRedactor.Redact(_camera.Source) != _camera.Source
        || _camera.InputArgs.Any(a => string.Equals(a, "-headers", StringComparison.OrdinalIgnoreCase));

    /// <summary>The ffconcat script given on standard input when <see cref="UsesPrivateInput"/> (holds the secrets).</summary>
    internal string PrivateInputScript()
    {
        var script = new System.Text.StringBuilder("ffconcat version 1.0\n");
        script.Append("file ").Append(Quote(_camera.Source, "Source")).Append('\n');
        if (IsRtsp)
        {
            script.Append("option rtsp_transport ").Append(Quote(_camera.RtspTransport, "RtspTransport")).Append('\n');
        }

        var args = _camera.InputArgs;
        for (var i = 0; i < args.Count; i++)
        {
            if (string.Equals(args[i], "-headers", StringComparison.OrdinalIgnoreCase) && i + 1 < args.Count)
            {
                script.Append("option headers ").Append(Quote(args[i + 1].TrimEnd('\r', '\n'), "InputArgs -headers")).Append('\n');
                i++;
            }
        }

        return script.ToString();
    }

    /// <summary>
    /// With <see cref="UsesPrivateInput"/>, the input arguments that stay on the command line (all but <c>-headers</c>
    /// and its value, which go in the script).
    /// </summary>
    private IEnumerable<string> PublicInputArgs()
    {
        var args = _camera.InputArgs;
        for (var i = 0; i < args.Count; i++)
        {
            if (string.Equals(args[i], "-headers", StringComparison.OrdinalIgnoreCase))
            {
                i++;
                continue;
            }

            yield return args[i];
        }
    }

    /// <summary>An ffconcat token: single-quoted, a quote inside as <c>'\''</c>; a line break cannot be expressed.</summary>
    private static string Quote(string value, string what)
    {
        if (value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal))
        {
            throw new CameraException($"{what} holds a line break, which cannot be passed to ffmpeg privately (use one header, or user:password in the URL)");
        }

        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    private void CheckFrameSize(int width, int height, string origin) =>
        CaptureOptions.CheckFrameSize(width, height, _options.MaxFramePixels, origin);

    public void Open(CancellationToken cancellationToken)
    {
        if (_camera.Width > 0 && _camera.Height > 0)
        {
            (Width, Height) = (_camera.Width, _camera.Height);
            CheckFrameSize(Width, Height, "the configured Width and Height");
        }
        else
        {
            (Width, Height) = Probe(cancellationToken);
            CheckFrameSize(Width, Height, "as the stream reports them");
        }

        var privateInput = UsesPrivateInput;
        var start = new ProcessStartInfo(_options.Ffmpeg)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = privateInput,
            StandardInputEncoding = privateInput ? new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false) : null,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var arg in BuildFfmpegArguments())
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.ErrorDataReceived += (_, e) => OnStderr(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new CameraException($"cannot start '{_options.Ffmpeg}' ({ex.Message}); install ffmpeg or set Capture:Ffmpeg", ex);
        }

        process.BeginErrorReadLine();
        lock (_gate)
        {
            _ffmpeg = process;
            _stdout = process.StandardOutput.BaseStream;
        }

        if (privateInput)
        {
            WriteScript(process);
        }

        if (_aborted)
        {
            Kill(process);
        }
    }

    /// <summary>The ffmpeg command line (input options, input, raw BGR output to stdout).</summary>
    public IReadOnlyList<string> BuildFfmpegArguments()
    {
        var args = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error" };
        AddInput(args, inputFlag: "-i");
        args.AddRange(["-an", "-sn", "-dn"]);
        if (_camera.Width > 0 && _camera.Height > 0)
        {
            args.AddRange(["-vf", string.Create(CultureInfo.InvariantCulture, $"scale={_camera.Width}:{_camera.Height}")]);
        }

        // Frames beyond what detection uses would only cross the pipe to be dropped: ffmpeg drops them before conversion.
        args.AddRange(["-fpsmax", (_camera.DetectFps * 1.5).ToString("0.###", CultureInfo.InvariantCulture)]);
        args.AddRange(["-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1"]);
        return args;
    }

    /// <summary>The probe arguments (input last).</summary>
    public IReadOnlyList<string> BuildProbeArguments()
    {
        var args = new List<string> { "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0:s=x" };
        AddInput(args, inputFlag: null);
        return args;
    }

    /// <summary>
    /// The input part of an ffmpeg or ffprobe command line, shared so both hand secrets over the same way: the input
    /// options, then the input (after <paramref name="inputFlag"/> when given): the stdin script when
    /// <see cref="UsesPrivateInput"/>, else the transport, the input arguments and the source.
    /// </summary>
    private void AddInput(List<string> args, string? inputFlag)
    {
        string input;
        if (UsesPrivateInput)
        {
            args.AddRange(PublicInputArgs());
            args.AddRange(["-f", "concat", "-safe", "0", "-protocol_whitelist", PrivateInputProtocols]);
            input = "pipe:0";
        }
        else
        {
            if (IsRtsp)
            {
                args.AddRange(["-rtsp_transport", _camera.RtspTransport]);
            }

            args.AddRange(_camera.InputArgs);
            input = _camera.Source;
        }

        if (inputFlag is not null)
        {
            args.Add(inputFlag);
        }

        args.Add(input);
    }

    private void WriteScript(Process process)
    {
        try
        {
            // A few hundred bytes: far below a pipe's buffer, so this never waits for the child.
            process.StandardInput.Write(PrivateInputScript());
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child exited before reading its input: its exit code and stderr say why.
        }
    }

    public unsafe Mat? Read(CancellationToken cancellationToken)
    {
        var stream = _stdout ?? throw new InvalidOperationException("Open the source first.");
#pragma warning disable CA2000 // returned: to the caller (a frame, which hands it back to the pool) or, on failure, to the pool in the finally
        var mat = _buffers.Rent(Height, Width, MatType.CV_8UC3);
#pragma warning restore CA2000
        try
        {
            var span = new Span<byte>((void*)mat.Data, checked(Width * Height * 3));
            stream.ReadExactly(span);
            var result = mat;
            mat = null;
            return result;
        }
        catch (EndOfStreamException)
        {
            return null;
        }
        catch (IOException) when (_aborted || cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            if (mat is not null)
            {
                _buffers.Return(mat);
            }
        }
    }

    /// <summary>Why the stream ended, from ffmpeg's exit code and last stderr lines (passwords masked). Blocks up to 2 s for the exit.</summary>
    public string DescribeEnd()
    {
        var process = _ffmpeg;
        var exit = process is not null && process.WaitForExit(2000) ? $"ffmpeg exited with code {process.ExitCode}" : "ffmpeg stopped sending frames";
        string[] recent;
        lock (_gate)
        {
            recent = [.. _recentStderr];
        }

        // The lines were masked as they arrived (OnStderr).
        return recent.Length == 0 ? exit : $"{exit}: {string.Join(" | ", recent)}";
    }

    public void Abort()
    {
        _aborted = true;
        Process? probe, ffmpeg;
        lock (_gate)
        {
            (probe, ffmpeg) = (_probe, _ffmpeg);
        }

        Kill(probe);
        Kill(ffmpeg);
    }

    public void Dispose()
    {
        Abort();
        Process? probe, ffmpeg;
        lock (_gate)
        {
            // An Abort from the reader's cleanup may still come: it then finds nothing to kill.
            (probe, ffmpeg) = (_probe, _ffmpeg);
            (_probe, _ffmpeg) = (null, null);
        }

        ffmpeg?.WaitForExit(2000);
        ffmpeg?.Dispose();
        probe?.Dispose();
        // Frames still queued hand their Mats back later: the disposed pool disposes them.
        _buffers.Dispose();
    }

    private (int Width, int Height) Probe(CancellationToken cancellationToken)
    {
        var privateInput = UsesPrivateInput;
        var start = new ProcessStartInfo(_options.Ffprobe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = privateInput,
            StandardInputEncoding = privateInput ? new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false) : null,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var arg in BuildProbeArguments())
        {
            start.ArgumentList.Add(arg);
        }

        // Both pipes drain on the runtime's event readers so a chatty stderr cannot block ffprobe; this runs on the
        // camera thread, which may block, so no tasks are needed.
        var output = new List<string>();
        var error = new List<string>();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Collect(output, e.Data);
        process.ErrorDataReceived += (_, e) => Collect(error, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new CameraException($"cannot start '{_options.Ffprobe}' ({ex.Message}); install ffmpeg or set Width and Height", ex);
        }

        lock (_gate)
        {
            _probe = process;
        }

        if (_aborted)
        {
            // Aborted before the probe was visible to Abort: kill it here rather than wait out the time-out.
            Kill(process);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (privateInput)
        {
            WriteScript(process);
        }

        if (!process.WaitForExit(TimeSpan.FromSeconds(_options.ProbeTimeoutSeconds)) || _aborted)
        {
            Kill(process);
            throw new CameraException(_aborted ? "probe aborted" : $"no answer within {_options.ProbeTimeoutSeconds:0.#} s (ffprobe)");
        }

        // The parameterless wait returns once both event readers have seen the end of their pipe.
        process.WaitForExit();
        string line;
        string[] errorLines;
        lock (output)
        {
            line = output.FirstOrDefault() ?? "";
        }

        lock (error)
        {
            errorLines = [.. error];
        }

        var parts = line.Split('x');
        if (process.ExitCode != 0 || parts.Length < 2
            || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var w) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var h)
            || w <= 0 || h <= 0)
        {
            var reason = string.Join(" | ", errorLines.TakeLast(3));
            throw new CameraException($"ffprobe found no video stream ({(reason.Length > 0 ? UrlRedactor.Redact(reason) : $"exit code {process.ExitCode}")})");
        }

        return (w, h);
    }

    private static void Collect(List<string> lines, string? line)
    {
        if (!string.IsNullOrWhiteSpace(line))
        {
            lock (lines)
            {
                lines.Add(line.Trim());
            }
        }
    }

    private void OnStderr(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        var safe = UrlRedactor.Redact(line.Trim());
        lock (_gate)
        {
            _recentStderr.Enqueue(safe);
            if (_recentStderr.Count > 3)
            {
                _recentStderr.Dequeue();
            }
        }

        if (Interlocked.Increment(ref _stderrLines) <= LoggedStderrLines)
        {
            Log.FfmpegSaid(_logger, _camera.Name, safe);
        }
        else
        {
            Log.FfmpegSaidMore(_logger, _camera.Name, safe);
        }
    }

    private static void Kill(Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Not started or already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exiting while we kill it.
        }
    }
}
