using System.Collections.Concurrent;
using System.Diagnostics;
using FaceWatch.Pipeline.Capture;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenCvSharp;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.LiveView;
namespace FaceWatch.Hosting.LiveView;

/// <summary>
/// One OpenCV window per camera (<c>facewatch run --show</c> or <c>Debug:Windows</c>).
/// <see cref="Post"/> only copies the frame into the camera's one-slot mailbox; a dedicated UI thread
/// draws and shows (HighGUI is not thread-safe, so every window call happens there).
/// Closing a window, or <c>q</c> while the pointer was last over it, closes that window only.
/// </summary>
public sealed class OverlayWindowSink : IFrameAnnotationSink, IHostedService, IDisposable
{
    private const int KeyQ = 'q';
    private const int KeyQUpper = 'Q';
    private const int KeyEscape = 27;

    private readonly ILogger<OverlayWindowSink> _logger;
    private readonly FaceWatchMetrics? _metrics;
    private readonly ConcurrentDictionary<string, FrameMailbox> _mailboxes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _closed = new(StringComparer.Ordinal);
    private readonly Lock _startGate = new();
    private readonly Dictionary<string, MouseCallback> _mouseCallbacks = new(StringComparer.Ordinal);
    private const int MaxTimingSamples = 10_000;
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(2);
    private readonly TaskCompletionSource _uiDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<double> _drawMs = [];
    private readonly List<double> _showMs = [];
    private volatile bool _stopping;
    private volatile bool _failed;
    private Thread? _uiThread;
    private string? _lastHovered;
    private int _nextWindowX;

    public OverlayWindowSink(ILogger<OverlayWindowSink> logger, FaceWatchMetrics? metrics = null)
    {
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>Frames shown so far (all windows).</summary>
    public long FramesShown { get; private set; }

    /// <summary>Cameras whose window the user closed.</summary>
    public IReadOnlyCollection<string> ClosedWindows => _closed.Keys.ToArray();

    /// <summary>Cameras with an open window.</summary>
    public IReadOnlyCollection<string> OpenWindows => _mailboxes.Keys.Where(c => !_closed.ContainsKey(c)).ToArray();

    public void Post(Frame frame, IReadOnlyList<TrackOverlay> tracks, CameraHealth? health)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (_stopping || _failed || _closed.ContainsKey(frame.Camera))
        {
            return;
        }

        EnsureUiThread();
        var mailbox = _mailboxes.GetOrAdd(frame.Camera, static _ => new FrameMailbox());
        mailbox.Put(AnnotatedFrame.CopyOf(frame, tracks, health));
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        if (_uiThread is null)
        {
            return;
        }

        // The UI thread notices within one WaitKey tick; a stuck display server must not block shutdown,
        // and the host's thread is not blocked while waiting.
        await _uiDone.Task.WaitAsync(StopWait, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        _stopping = true;
        _uiThread?.Join(StopWait);
        foreach (var mailbox in _mailboxes.Values)
        {
            mailbox.Dispose();
        }
    }

    private void EnsureUiThread()
    {
        if (_uiThread is not null)
        {
            return;
        }

        lock (_startGate)
        {
            _uiThread ??= StartUiThread();
        }
    }

    private Thread StartUiThread()
    {
        var thread = new Thread(UiLoop) { IsBackground = true, Name = "facewatch-overlay-ui" };
        thread.Start();
        return thread;
    }

    private void UiLoop()
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (!_stopping)
            {
                foreach (var (camera, mailbox) in _mailboxes)
                {
                    if (_closed.ContainsKey(camera) || !mailbox.Reader.TryRead(out var item))
                    {
                        continue;
                    }

                    using (item)
                    {
                        if (!open.Contains(camera))
                        {
                            Cv2.NamedWindow(camera, WindowFlags.AutoSize);
                            open.Add(camera);
                            // Side by side in opening order, so windows do not open on top of each other.
                            Cv2.MoveWindow(camera, _nextWindowX, 0);
                            _nextWindowX += item.Image.Width + 8;
                            var name = camera;
                            // HighGUI keeps only a native pointer: the delegate must stay referenced or the next
                            // mouse event calls into a collected delegate and kills the process.
                            MouseCallback callback = (_, _, _, _, _) => _lastHovered = name;
                            _mouseCallbacks[camera] = callback;
                            Cv2.SetMouseCallback(camera, callback);
                            Log.WindowOpened(_logger, camera);
                        }

                        Show(camera, item);
                    }
                }

                var key = Cv2.WaitKey(10);
                HandleUserClose(open, key);
            }
        }
        catch (Exception ex) when (ex is OpenCVException or OpenCvSharpException or DllNotFoundException)
        {
            _failed = true;
            Log.WindowsUnavailable(_logger, ex);
        }
        finally
        {
            foreach (var camera in open)
            {
                TryDestroy(camera);
            }

            LogStats();
            _uiDone.TrySetResult();
        }
    }

    private void Show(string camera, AnnotatedFrame item)
    {
        var start = Stopwatch.GetTimestamp();
        OverlayRenderer.Draw(item.Image, item.Tracks, item.Health, camera);
        var drawn = Stopwatch.GetTimestamp();
        Cv2.ImShow(camera, item.Image);
        var shown = Stopwatch.GetTimestamp();

        var drawMs = Stopwatch.GetElapsedTime(start, drawn).TotalMilliseconds;
        _metrics?.OverlayDrawDuration("window", drawMs);
        Record(_drawMs, drawMs);
        Record(_showMs, Stopwatch.GetElapsedTime(drawn, shown).TotalMilliseconds);
        FramesShown++;
    }

    private void HandleUserClose(HashSet<string> open, int key)
    {
        // The window manager's close button destroys the window: HighGUI then reports it invisible.
        foreach (var camera in open.ToArray())
        {
            if (!IsVisible(camera))
            {
                Close(open, camera, "window closed");
            }
        }

        if ((key & 0xFF) is KeyQ or KeyQUpper or KeyEscape && open.Count > 0)
        {
            // WaitKey does not say which window had the key: take the one the pointer was last over.
            var target = _lastHovered is { } hovered && open.Contains(hovered) ? hovered : open.First();
            Close(open, target, "q pressed");
        }
    }

    private void Close(HashSet<string> open, string camera, string reason)
    {
        _closed[camera] = 0;
        open.Remove(camera);
        TryDestroy(camera);
        // Closed for good: a frame still waiting is disposed, and one posted after the check in Post is disposed on arrival.
        if (_mailboxes.TryGetValue(camera, out var mailbox))
        {
            mailbox.Dispose();
        }

        Log.WindowClosed(_logger, camera, reason);
    }

    private static bool IsVisible(string camera)
    {
        try
        {
            // GTK reports Visible as 0 until the window is mapped; a window destroyed by the user is simply
            // gone from HighGUI's list, which every property reports as -1.
            return Cv2.GetWindowProperty(camera, WindowPropertyFlags.AutoSize) >= 0;
        }
        catch (OpenCVException)
        {
            return false;
        }
    }

    private static void TryDestroy(string camera)
    {
        try
        {
            Cv2.DestroyWindow(camera);
            Cv2.WaitKey(1);
        }
        catch (OpenCVException)
        {
            // Already gone (closed by the window manager).
        }
    }

    /// <summary>Keeps the latest <see cref="MaxTimingSamples"/> timings (a ring), so a window open for days stays small.</summary>
    private void Record(List<double> samples, double value)
    {
        if (samples.Count < MaxTimingSamples)
        {
            samples.Add(value);
        }
        else
        {
            samples[(int)(FramesShown % MaxTimingSamples)] = value;
        }
    }

    private void LogStats()
    {
        if (_drawMs.Count == 0)
        {
            return;
        }

        var draw = _drawMs.Order().ToArray();
        var show = _showMs.Order().ToArray();
        Log.WindowStats(_logger, FramesShown, draw[draw.Length / 2], draw[(int)(draw.Length * 0.95)], show[show.Length / 2],
            _mailboxes.Values.Sum(m => m.Replaced));
    }
}
