using Microsoft.Extensions.Logging;

namespace FaceWatch.Hosting.Strangers;

internal static partial class Log
{
    [LoggerMessage(7401, LogLevel.Information, "Strangers kept in {Folder}: visits kept {RetentionDays} days, at most {MaxVisits} visits, {CropsPerVisit} crops each")]
    public static partial void StrangersEnabled(ILogger logger, string folder, int retentionDays, int maxVisits, int cropsPerVisit);

    [LoggerMessage(7402, LogLevel.Information, "Stranger index {Path} loaded: {Groups} groups, {Visits} visits")]
    public static partial void Loaded(ILogger logger, string path, int groups, int visits);

    [LoggerMessage(7403, LogLevel.Error, "Stranger index {Path} cannot be read ({Reason}); it is left as it is and strangers are not kept until it is repaired or moved away")]
    public static partial void IndexDamaged(ILogger logger, string path, string reason);

    [LoggerMessage(7404, LogLevel.Information, "Stranger visit kept: camera {Camera} track {TrackId} in group {Group} ({Visits} visits), {Crops} crops; merged groups {Merged}")]
    public static partial void VisitKept(ILogger logger, string camera, long trackId, string group, int visits, int crops, string merged);

    [LoggerMessage(7405, LogLevel.Information, "Stranger group {Group} forgotten: {Visits} visits, {Crops} crops deleted")]
    public static partial void Forgotten(ILogger logger, string group, int visits, int crops);

    [LoggerMessage(7406, LogLevel.Information, "Stranger retention deleted {Visits} visits in {Folder}")]
    public static partial void Expired(ILogger logger, int visits, string folder);

    [LoggerMessage(7407, LogLevel.Warning, "Stranger store in {Folder} could not be written")]
    public static partial void WriteFailed(ILogger logger, string folder, Exception exception);

    [LoggerMessage(7408, LogLevel.Warning, "Stranger crop {Path} could not be deleted")]
    public static partial void DeleteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(7409, LogLevel.Warning, "Stranger crop {Path} could not be read")]
    public static partial void CropUnreadable(ILogger logger, string path, Exception exception);

    [LoggerMessage(7410, LogLevel.Warning, "Stranger crop {Path} has {Bytes} bytes, more than {Max}; not served")]
    public static partial void CropTooLarge(ILogger logger, string path, long bytes, int max);

    [LoggerMessage(7411, LogLevel.Information, "Deleted {Count} stranger crops no index named in {Folder}")]
    public static partial void SweptUnnamed(ILogger logger, int count, string folder);
}
