using Microsoft.Extensions.Logging;

namespace FaceWatch.Pipeline.Capture;

/// <summary>Capture log lines: camera state changes, never per-frame facts. Every text is password-free.</summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Information, "Camera {Camera} online: {Width}x{Height} from {Source}")]
    public static partial void CameraOnline(ILogger logger, string camera, int width, int height, string source);

    [LoggerMessage(101, LogLevel.Warning, "Camera {Camera} offline: {Reason}; reconnecting with backoff")]
    public static partial void CameraOffline(ILogger logger, string camera, string reason);

    [LoggerMessage(102, LogLevel.Information, "Camera {Camera} finished: end of file {Source}")]
    public static partial void CameraFinished(ILogger logger, string camera, string source);

    [LoggerMessage(103, LogLevel.Debug, "Camera {Camera} reconnect attempt {Attempt} failed ({Reason}); next in {Delay}")]
    public static partial void RetryFailed(ILogger logger, string camera, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(104, LogLevel.Warning, "Camera {Camera} ffmpeg: {Line}")]
    public static partial void FfmpegSaid(ILogger logger, string camera, string line);

    [LoggerMessage(105, LogLevel.Debug, "Camera {Camera} ffmpeg: {Line}")]
    public static partial void FfmpegSaidMore(ILogger logger, string camera, string line);

    [LoggerMessage(106, LogLevel.Warning, "Camera {Camera}: the reading thread did not stop within {Timeout}; abandoning it")]
    public static partial void ThreadStuck(ILogger logger, string camera, TimeSpan timeout);

    [LoggerMessage(107, LogLevel.Information, "Camera {Camera} stopped")]
    public static partial void CameraStopped(ILogger logger, string camera);
}
