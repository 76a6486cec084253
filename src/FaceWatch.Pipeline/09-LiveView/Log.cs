using Microsoft.Extensions.Logging;

namespace FaceWatch.Pipeline.LiveView;

internal static partial class Log
{
    [LoggerMessage(7001, LogLevel.Information, "Overlay window opened for camera {Camera}")]
    public static partial void WindowOpened(ILogger logger, string camera);

    [LoggerMessage(7002, LogLevel.Information, "Overlay window for camera {Camera} closed ({Reason}); the pipeline keeps running")]
    public static partial void WindowClosed(ILogger logger, string camera, string reason);

    [LoggerMessage(7003, LogLevel.Information, "Overlay windows: {Frames} frames shown, drawing median {DrawMedianMs:0.00} ms (p95 {DrawP95Ms:0.00} ms), imshow median {ShowMedianMs:0.00} ms, {Replaced} frames skipped while the window was busy")]
    public static partial void WindowStats(ILogger logger, long frames, double drawMedianMs, double drawP95Ms, double showMedianMs, long replaced);

    [LoggerMessage(7004, LogLevel.Error, "Overlay windows cannot be shown (no display? set DISPLAY or run under xvfb-run); detection keeps running without them")]
    public static partial void WindowsUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(7201, LogLevel.Information, "Face snapshots on: {Folder}, kept {RetentionDays} days, at most {MaxCount} files")]
    public static partial void SnapshotsEnabled(ILogger logger, string folder, int retentionDays, int maxCount);

    [LoggerMessage(7202, LogLevel.Information, "Snapshot cleaner deleted {Count} files in {Folder}")]
    public static partial void SnapshotsCleaned(ILogger logger, int count, string folder);

    [LoggerMessage(7203, LogLevel.Warning, "Snapshot file {Path} could not be written or cleaned")]
    public static partial void SnapshotFailed(ILogger logger, string path, Exception exception);
}
