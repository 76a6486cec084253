using System.Buffers;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.Channels;
using FaceWatch.Pipeline.Capture;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenCvSharp;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Tracking;
namespace FaceWatch.Hosting.LiveView;

/// <summary>
/// Section <c>Snapshots</c>: face crops on disk. Off by default: without it FaceWatch stores no face image.
/// When on, one crop per track and decided name (the first frame it is named in).
/// </summary>
public sealed class SnapshotOptions
{
    public const string SectionName = "Snapshots";

    public bool Enabled { get; set; }

    /// <summary>Where crops go. Empty: <c>$STATE_DIRECTORY/snapshots</c> under systemd, else <c>snapshots</c> in the working directory.</summary>
    public string Folder { get; set; } = "";

    /// <summary>Crops older than this are deleted.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 7;

    /// <summary>At most this many crops are kept; the oldest go first.</summary>
    [Range(1, 1_000_000)]
    public int MaxCount { get; set; } = 1000;

    /// <summary>How often the cleaner runs (it also runs at start and after every write beyond <see cref="MaxCount"/>).</summary>
    [Range(1, 1440)]
    public int CleanIntervalMinutes { get; set; } = 10;

    public string ResolveFolder() =>
        Path.GetFullPath(Folder.Length > 0
            ? Folder
            : Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } state
                ? Path.Combine(state.Split(':')[0], "snapshots")
                : "snapshots");
}

/// <summary>Deletes crops beyond the retention and the maximum count. Pure file logic, testable with a fake clock.</summary>
public sealed class SnapshotCleaner
{
    private readonly SnapshotOptions _options;
    private readonly TimeProvider _time;

    public SnapshotCleaner(IOptions<SnapshotOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
    }

    /// <summary>Returns how many files it deleted.</summary>
    public int Clean(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return 0;
        }

        var files = new DirectoryInfo(folder).EnumerateFiles("*.jpg", SearchOption.AllDirectories)
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .ToList();
        var cutoff = _time.GetUtcNow().UtcDateTime - TimeSpan.FromDays(_options.RetentionDays);
        var deleted = 0;
        for (var i = 0; i < files.Count; i++)
        {
            if (i >= _options.MaxCount || files[i].LastWriteTimeUtc < cutoff)
            {
                files[i].Delete();
                deleted++;
            }
        }

        return deleted;
    }
}

/// <summary>A face crop to store: a private copy, owned by whoever holds it.</summary>
public sealed record FaceSnapshot(string Camera, long TrackId, string Name, DateTimeOffset At, Mat Crop) : IDisposable
{
    public void Dispose() => Crop.Dispose();
}

/// <summary>
/// With <c>Snapshots:Enabled</c>: when a track first gets a name (known or unknown), copies its face out of
/// the frame and hands it to the writer; every other frame costs one set lookup per track.
/// </summary>
public sealed class SnapshotSink : IFrameAnnotationSink, IDisposable
{
    private const int RememberedTracks = 4096;

    private readonly Channel<FaceSnapshot> _queue = Channel.CreateBounded<FaceSnapshot>(
        new BoundedChannelOptions(32) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
        static dropped => dropped.Dispose());

    private readonly HashSet<(string Camera, long Track, string Name)> _taken = [];
    private readonly Queue<(string Camera, long Track, string Name)> _order = new();
    private readonly Lock _gate = new();

    public ChannelReader<FaceSnapshot> Reader => _queue.Reader;

    public void Post(Frame frame, IReadOnlyList<TrackOverlay> tracks, CameraHealth? health)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(tracks);
        foreach (var track in tracks)
        {
            if (string.IsNullOrEmpty(track.Name) || !FirstTime((frame.Camera, track.TrackId, track.Name)))
            {
                continue;
            }

            var box = Rect.Intersect(
                new Rect((int)track.Box.X, (int)track.Box.Y, (int)Math.Ceiling(track.Box.Width), (int)Math.Ceiling(track.Box.Height)),
                new Rect(0, 0, frame.Image.Width, frame.Image.Height));
            if (box.Width < 2 || box.Height < 2)
            {
                continue;
            }

            // A copy, not a view: the frame goes back to the pipeline.
            using var view = new Mat(frame.Image, box);
#pragma warning disable CA2000 // handed to the writer queue; disposed here when the queue refuses it
            var snapshot = new FaceSnapshot(frame.Camera, track.TrackId, track.Name, frame.CapturedAt, view.Clone());
#pragma warning restore CA2000
            if (!_queue.Writer.TryWrite(snapshot))
            {
                snapshot.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var left))
        {
            left.Dispose();
        }
    }

    private bool FirstTime((string, long, string) key)
    {
        lock (_gate)
        {
            if (!_taken.Add(key))
            {
                return false;
            }

            _order.Enqueue(key);
            if (_order.Count > RememberedTracks)
            {
                _taken.Remove(_order.Dequeue());
            }

            return true;
        }
    }
}

/// <summary>
/// Writes each snapshot to <c>Folder/&lt;camera&gt;/</c> as JPEG, and runs the cleaner at start,
/// periodically and whenever many files were added.
/// </summary>
public sealed class SnapshotWriter : BackgroundService
{
    /// <summary>Characters a file name must not have, and <c>.</c>: each becomes <c>_</c>.</summary>
    private static readonly SearchValues<char> UnsafeNameChars = SearchValues.Create([.. Path.GetInvalidFileNameChars(), '.']);

    private readonly SnapshotSink _sink;
    private readonly SnapshotOptions _options;
    private readonly SnapshotCleaner _cleaner;
    private readonly TimeProvider _time;
    private readonly FaceWatchMetrics? _metrics;
    private readonly ILogger<SnapshotWriter> _logger;
    private readonly string _folder;
    private int _sinceClean;

    public SnapshotWriter(SnapshotSink sink, IOptions<SnapshotOptions> options, SnapshotCleaner cleaner, TimeProvider time, ILogger<SnapshotWriter> logger, FaceWatchMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _sink = sink;
        _options = options.Value;
        _cleaner = cleaner;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _folder = _options.ResolveFolder();
    }

    public string Folder => _folder;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(_folder);
        Log.SnapshotsEnabled(_logger, _folder, _options.RetentionDays, _options.MaxCount);
        Clean();
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(_options.CleanIntervalMinutes), _time);
        var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        var next = _sink.Reader.WaitToReadAsync(stoppingToken).AsTask();
        try
        {
            while (true)
            {
                var done = await Task.WhenAny(tick, next).ConfigureAwait(false);
                if (done == tick)
                {
                    if (!await tick.ConfigureAwait(false))
                    {
                        return;
                    }

                    Clean();
                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                    continue;
                }

                if (!await next.ConfigureAwait(false))
                {
                    return;
                }

                while (_sink.Reader.TryRead(out var snapshot))
                {
                    using (snapshot)
                    {
                        await WriteAsync(snapshot, stoppingToken).ConfigureAwait(false);
                    }
                }

                next = _sink.Reader.WaitToReadAsync(stoppingToken).AsTask();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task WriteAsync(FaceSnapshot snapshot, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(_folder, Safe(snapshot.Camera));
        var path = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"{snapshot.At.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}_{Safe(snapshot.Name)}_{snapshot.TrackId}.jpg"));
        try
        {
            Directory.CreateDirectory(dir);
            Cv2.ImEncode(".jpg", snapshot.Crop, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, 90));
            await File.WriteAllBytesAsync(path, jpeg, cancellationToken).ConfigureAwait(false);
            _metrics?.SnapshotWritten(snapshot.Camera);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SnapshotFailed(_logger, path, ex);
            return;
        }

        if (++_sinceClean >= Math.Max(1, _options.MaxCount / 10))
        {
            Clean();
        }
    }

    private void Clean()
    {
        _sinceClean = 0;
        try
        {
            var deleted = _cleaner.Clean(_folder);
            if (deleted > 0)
            {
                Log.SnapshotsCleaned(_logger, deleted, _folder);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SnapshotFailed(_logger, _folder, ex);
        }
    }

    private static string Safe(string value) =>
        string.Create(value.Length, value, static (chars, source) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = UnsafeNameChars.Contains(source[i]) ? '_' : source[i];
            }
        });
}
