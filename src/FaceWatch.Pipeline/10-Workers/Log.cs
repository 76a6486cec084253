using Microsoft.Extensions.Logging;

using FaceWatch.Pipeline.Identification;
namespace FaceWatch.Pipeline.Workers;

/// <summary>Pipeline log lines: events, gallery reloads, worker lifecycle. Never per frame.</summary>
internal static partial class Log
{
    [LoggerMessage(300, LogLevel.Information, "{Event} camera={Camera} track={TrackId} name={Name} confidence={Confidence:0.00} latency={LatencyMs:0}ms")]
    public static partial void Event(ILogger logger, string @event, string camera, long trackId, string name, double confidence, double latencyMs);

    [LoggerMessage(301, LogLevel.Warning, "Identity events are produced faster than they are published: the pipeline waits (counted in EventOutbox.Waits); nothing is dropped")]
    public static partial void EventBackpressure(ILogger logger);

    [LoggerMessage(302, LogLevel.Information, "Gallery {Path} loaded: {People} people, {Faces} faces; unknown unless score >= {Score:0.000} and probability >= {Probability:0.00} for {StrangerRate:0.###%} strangers accepted ({Method}); same face for tracks at cosine >= {SameFace:0.00} ({SameFaceMethod}); {Negatives}")]
    public static partial void GalleryLoaded(
        ILogger logger, string path, int people, int faces, double score, double probability, double strangerRate, string method, double sameFace, string sameFaceMethod,
        string negatives);

    [LoggerMessage(303, LogLevel.Warning, "Gallery {Path} changed but could not be loaded ({Reason}); still using the previous gallery")]
    public static partial void GalleryReloadFailed(ILogger logger, string path, string reason);

    [LoggerMessage(304, LogLevel.Warning, "No gallery configured (Gallery:Path): every face is reported as unknown")]
    public static partial void NoGallery(ILogger logger);

    [LoggerMessage(305, LogLevel.Information, "Pipeline started: {Cameras} camera(s), detection on frames of at most {MaxSide} px (shorter side)")]
    public static partial void PipelineStarted(ILogger logger, int cameras, int maxSide);

    [LoggerMessage(306, LogLevel.Information, "Pipeline stopped: {Events} events published, {Dropped} frames and {CropsDropped} face crops dropped")]
    public static partial void PipelineStopped(ILogger logger, long events, long dropped, long cropsDropped);

    [LoggerMessage(307, LogLevel.Critical, "Pipeline worker {Worker} crashed")]
    public static partial void WorkerCrashed(ILogger logger, Exception exception, string worker);

    [LoggerMessage(308, LogLevel.Warning, "Overlay sink {Sink} failed: {Reason}")]
    public static partial void SinkFailed(ILogger logger, string sink, string reason);

    [LoggerMessage(309, LogLevel.Debug, "Observation camera={Camera} track={TrackId} candidate={Candidate} known={Known} p={Probability:0.000} sim={Similarity:0.000} weight={Weight:0.00}")]
    public static partial void Observation(ILogger logger, string camera, long trackId, string candidate, bool known, double probability, double similarity, double weight);

    [LoggerMessage(320, LogLevel.Warning, "Pipeline stopped with {Count} identity event(s) not published: a subscriber did not read them within {Seconds:0} s")]
    public static partial void EventsUnpublished(ILogger logger, int count, double seconds);
}
