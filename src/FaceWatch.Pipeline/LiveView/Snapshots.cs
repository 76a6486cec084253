using System.ComponentModel.DataAnnotations;
using System.Globalization;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceWatch.Pipeline.LiveView;

/// <summary>
/// Section <c>Snapshots</c>: face crops on disk. Off by default: without it FaceWatch stores no face image.
/// When on, the pipeline attaches a JPEG of the face to <c>arrived</c> events (<see cref="IdentityEvent.FaceJpeg"/>).
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

/// <summary>
/// Writes the face JPEG of each event that carries one to <c>Folder/&lt;camera&gt;/</c>, and runs the
/// cleaner at start, periodically and whenever the count limit is passed.
/// </summary>
public sealed partial class SnapshotWriter : BackgroundService
{
    private readonly System.Threading.Channels.ChannelReader<IdentityEvent> _events;
    private readonly SnapshotOptions _options;
    private readonly SnapshotCleaner _cleaner;
    private readonly TimeProvider _time;
    private readonly FaceWatchMetrics? _metrics;
    private readonly ILogger<SnapshotWriter> _logger;
    private readonly string _folder;
    private int _sinceClean;

    public SnapshotWriter(IdentityEventHub hub, IOptions<SnapshotOptions> options, SnapshotCleaner cleaner, TimeProvider time, ILogger<SnapshotWriter> logger, FaceWatchMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(options);
        _events = hub.Subscribe();
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
        LogEnabled(_logger, _folder, _options.RetentionDays, _options.MaxCount);
        Clean();
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(_options.CleanIntervalMinutes), _time);
        var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        var next = _events.WaitToReadAsync(stoppingToken).AsTask();
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

            while (_events.TryRead(out var e))
            {
                await WriteAsync(e, stoppingToken).ConfigureAwait(false);
            }

            next = _events.WaitToReadAsync(stoppingToken).AsTask();
        }
    }

    private async Task WriteAsync(IdentityEvent e, CancellationToken cancellationToken)
    {
        if (e.FaceJpeg is not { Length: > 0 } jpeg)
        {
            return;
        }

        var dir = Path.Combine(_folder, Safe(e.Camera));
        Directory.CreateDirectory(dir);
        var name = string.Create(CultureInfo.InvariantCulture, $"{e.Timestamp.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}_{Safe(e.Name)}_{e.TrackId}_{e.Event}.jpg");
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(dir, name), jpeg, cancellationToken).ConfigureAwait(false);
            _metrics?.SnapshotWritten(e.Camera);
        }
        catch (IOException ex)
        {
            LogWriteFailed(_logger, Path.Combine(dir, name), ex);
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
                LogCleaned(_logger, deleted, _folder);
            }
        }
        catch (IOException ex)
        {
            LogWriteFailed(_logger, _folder, ex);
        }
    }

    private static string Safe(string value)
    {
        var invalid = Path.GetInvalidFileNameChars();
        return string.Concat(value.Select(c => invalid.Contains(c) || c == '.' ? '_' : c));
    }

    [LoggerMessage(7201, LogLevel.Information, "Face snapshots on: {Folder}, kept {RetentionDays} days, at most {MaxCount} files")]
    private static partial void LogEnabled(ILogger logger, string folder, int retentionDays, int maxCount);

    [LoggerMessage(7202, LogLevel.Information, "Snapshot cleaner deleted {Count} files in {Folder}")]
    private static partial void LogCleaned(ILogger logger, int count, string folder);

    [LoggerMessage(7203, LogLevel.Warning, "Snapshot file {Path} could not be written or cleaned")]
    private static partial void LogWriteFailed(ILogger logger, string path, Exception exception);
}
