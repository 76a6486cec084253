using Microsoft.Extensions.Logging;

namespace FaceWatch.Web;

internal static partial class Log
{
    [LoggerMessage(7101, LogLevel.Information, "Web live view listening on {Urls}")]
    public static partial void Listening(ILogger logger, string urls);

    [LoggerMessage(7102, LogLevel.Information, "Web live view stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(7103, LogLevel.Warning, "Web request without a valid token from {Remote} for {Path} ({Suppressed} more not logged since the last such line)")]
    public static partial void Unauthorized(ILogger logger, string? remote, string path, long suppressed);

    [LoggerMessage(7104, LogLevel.Information, "Match rejected: event {EventId} named {Person}; the visit's face is now a negative of {Person} ({Count} in all)")]
    public static partial void MatchRejected(ILogger logger, string eventId, string person, int count);
}
