using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.LiveView;
using Microsoft.Extensions.Options;
using OpenCvSharp;

using FaceWatch.Core.Health;
namespace FaceWatch.Web;

/// <summary>One encoded, annotated frame of a camera; <see cref="Version"/> grows with every new frame.</summary>
public sealed record JpegFrame(byte[] Jpeg, long Version, long Sequence, DateTimeOffset CapturedAt)
{
    /// <summary>The MJPEG part header in front of <see cref="Jpeg"/>: made once per frame, shared by every viewer.</summary>
    internal byte[] PartHeader { get; } = Encoding.ASCII.GetBytes(string.Create(
        CultureInfo.InvariantCulture,
        $"--{MjpegStream.Boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {Jpeg.Length}\r\n\r\n"));
}

/// <summary>
/// The web view's sink: copies at most <c>Web:MaxStreamFps</c> frames per second per camera while
/// someone watches (one per second otherwise, to keep snapshots fresh) into a one-slot mailbox; a
/// per-camera encoder draws the overlay and encodes one JPEG that every viewer shares.
/// </summary>
public sealed class WebFrameSink : IFrameAnnotationSink, IDisposable
{
    private readonly ConcurrentDictionary<string, CameraFeed> _feeds = new(StringComparer.Ordinal);
    private readonly WebOptions _options;
    private readonly TimeProvider _time;
    private readonly FaceWatchMetrics? _metrics;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    public WebFrameSink(IOptions<WebOptions> options, TimeProvider time, FaceWatchMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        _metrics = metrics;
    }

    public IReadOnlyCollection<string> Cameras => _feeds.Keys.Order(StringComparer.Ordinal).ToArray();

    public CameraFeed? Feed(string camera) => _feeds.TryGetValue(camera, out var feed) ? feed : null;

    public void Post(Frame frame, IReadOnlyList<TrackOverlay> tracks, CameraHealth? health)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var feed = _feeds.GetOrAdd(frame.Camera, camera => new CameraFeed(camera, _options, _time, _metrics, _stopping.Token));
        feed.Offer(frame, tracks, health);
    }

    public void Dispose()
    {
        // Registered under two service types: the container may call this twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        foreach (var feed in _feeds.Values)
        {
            feed.Dispose();
        }

        _stopping.Dispose();
    }
}

/// <summary>One camera's latest annotated JPEG, encoded off the pipeline's thread.</summary>
public sealed class CameraFeed : IDisposable
{
    private static readonly TimeSpan IdleInterval = TimeSpan.FromSeconds(1);

    private readonly FrameMailbox _mailbox = new();
    private readonly TimeProvider _time;
    private readonly FaceWatchMetrics? _metrics;
    private readonly TimeSpan _minInterval;
    private readonly ImageEncodingParam[] _jpegParams;
    private readonly Task _encoder;
    private readonly Lock _gate = new();
    private TaskCompletionSource<JpegFrame> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private JpegFrame? _latest;
    private long _nextDue = long.MinValue;
    private int _viewers;

    internal CameraFeed(string camera, WebOptions options, TimeProvider time, FaceWatchMetrics? metrics, CancellationToken stopping)
    {
        Camera = camera;
        _time = time;
        _metrics = metrics;
        _minInterval = TimeSpan.FromSeconds(1.0 / options.MaxStreamFps);
        _jpegParams = [new ImageEncodingParam(ImwriteFlags.JpegQuality, options.JpegQuality)];
        _encoder = Task.Run(() => EncodeLoopAsync(stopping), CancellationToken.None);
    }

    public string Camera { get; }

    public JpegFrame? Latest => Volatile.Read(ref _latest);

    /// <summary>Median-free running numbers for <c>/api/cameras</c>: JPEGs made, and the last draw+encode time.</summary>
    public long Encoded { get; private set; }

    public double LastEncodeMs { get; private set; }

    public int Viewers => Volatile.Read(ref _viewers);

    /// <summary>Counts a viewer for as long as the returned handle lives (encoding runs at full cap only while watched).</summary>
    public IDisposable Watch()
    {
        Interlocked.Increment(ref _viewers);
        return new Viewer(this);
    }

    /// <summary>The first frame newer than <paramref name="afterVersion"/>.</summary>
    public async Task<JpegFrame> NextAsync(long afterVersion, CancellationToken cancellationToken)
    {
        Task<JpegFrame> next;
        lock (_gate)
        {
            if (_latest is { } latest && latest.Version > afterVersion)
            {
                return latest;
            }

            next = _next.Task;
        }

        return await next.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    internal void Offer(Frame frame, IReadOnlyList<TrackOverlay> tracks, CameraHealth? health)
    {
        // A due time advancing by the interval (not "interval since the last frame") keeps the average
        // at the cap even when the camera's frame period does not divide it.
        var now = _time.GetTimestamp();
        var due = Interlocked.Read(ref _nextDue);
        if (now < due)
        {
            return;
        }

        var interval = (long)((Viewers > 0 ? _minInterval : IdleInterval).TotalSeconds * _time.TimestampFrequency);
        Interlocked.Exchange(ref _nextDue, due == long.MinValue || now - due > interval ? now + interval : due + interval);
        _mailbox.Put(AnnotatedFrame.CopyOf(frame, tracks, health));
    }

    public void Dispose()
    {
        _mailbox.Dispose();
    }

    private async Task EncodeLoopAsync(CancellationToken stopping)
    {
        try
        {
            while (await _mailbox.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                while (_mailbox.Reader.TryRead(out var item))
                {
                    using (item)
                    {
                        Publish(Encode(item));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private JpegFrame Encode(AnnotatedFrame item)
    {
        var start = Stopwatch.GetTimestamp();
        OverlayRenderer.Draw(item.Image, item.Tracks, item.Health, Camera);
        _metrics?.OverlayDrawDuration("web", Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        Cv2.ImEncode(".jpg", item.Image, out var jpeg, _jpegParams);
        LastEncodeMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        Encoded++;
        return new JpegFrame(jpeg, Encoded, item.Sequence, item.CapturedAt);
    }

    private void Publish(JpegFrame frame)
    {
        TaskCompletionSource<JpegFrame> waiting;
        lock (_gate)
        {
            Volatile.Write(ref _latest, frame);
            waiting = _next;
            _next = new TaskCompletionSource<JpegFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        waiting.TrySetResult(frame);
    }

    private sealed class Viewer(CameraFeed feed) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref feed._viewers);
            }
        }
    }
}
