using Microsoft.Extensions.Logging;

namespace FaceWatch.Core.Models;

// Event ids 1000-1099 (docs/logging.md).
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Model file {File} is missing: fetching and converting the models into {Directory} (first use)")]
    public static partial void AutoFetching(ILogger logger, string file, string directory);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "ONNX Runtime execution provider: {Provider} (requested {Requested}; available {Available})")]
    public static partial void ProviderSelected(ILogger logger, string provider, ExecutionProviderKind requested, string available);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Execution provider {Provider} could not be enabled, trying the next one: {Reason}")]
    public static partial void ProviderFailed(ILogger logger, string provider, string reason);
}
