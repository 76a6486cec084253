using Microsoft.Extensions.Logging;

namespace FaceWatch.Pipeline.Detection;

internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "MTCNN detector ready: models from {ModelsDirectory}, {Threads} ORT thread(s) per network, minimum face {MinFaceSize} px")]
    public static partial void DetectorReady(ILogger logger, string modelsDirectory, int threads, int minFaceSize);
}
