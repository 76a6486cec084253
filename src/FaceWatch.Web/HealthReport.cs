using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Publishing;

using FaceWatch.Core.Health;
using FaceWatch.Core.Models;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Web;

public sealed record CameraHealthDto(
    string Name,
    bool Online,
    double ProcessedFps,
    long FramesRead,
    long FramesDropped,
    long Reconnects,
    long Attempts,
    long FailedAttempts,
    string? LastError,
    DateTimeOffset ChangedAt)
{
    /// <summary>Where the detector looked (motion gating); missing before the camera's first frame.</summary>
    public DetectionLoadDto? Detection { get; init; }
}

/// <summary>
/// One camera's detection load: processed frames skipped because nothing moved, full and region scans, and recent
/// averages of the moving share of the frame, regions per frame and detector milliseconds per frame.
/// </summary>
public sealed record DetectionLoadDto(long StillFrames, long FullScans, long RegionScans, double MotionShare, double RegionsPerFrame, double DetectorMs);

public sealed record HealthDto(
    string Status,
    DateTimeOffset Time,
    IReadOnlyList<CameraHealthDto> Cameras,
    string? Provider,
    string? ModelsDir,
    IReadOnlyDictionary<string, string> ModelHashes,
    int? GalleryPeople,
    int? GalleryFaces);

/// <summary>The gallery the pipeline identifies against: people and enrolled faces.</summary>

public sealed record CameraTileDto(string Name, bool Online, double ProcessedFps, long FramesDropped, string? LastError, int Viewers, long Encoded, double LastEncodeMs);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HealthDto))]
[JsonSerializable(typeof(IReadOnlyList<CameraTileDto>))]
[JsonSerializable(typeof(RejectResult))]
internal sealed partial class WebJsonContext : JsonSerializerContext
{
    // Identity events have one contract, the MQTT payload's (explicit nulls): not generated here but taken from
    // IdentityEventJsonContext. Instance members, so they read like the generated ones (WebJsonContext.Default.X).
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Read through Default, as the generated type infos.")]
    public JsonTypeInfo<IdentityEvent> IdentityEvent => IdentityEventJsonContext.Default.IdentityEvent;

    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Read through Default, as the generated type infos.")]
    public JsonTypeInfo<IReadOnlyList<IdentityEvent>> IReadOnlyListIdentityEvent => IdentityEventJsonContext.Default.IReadOnlyListIdentityEvent;
}

/// <summary>Builds <c>/healthz</c>: <c>ok</c> (all cameras online), <c>degraded</c> (some), <c>down</c> (none; HTTP 503).</summary>
public sealed class HealthReporter
{
    private readonly CameraHealthRegistry _cameras;
    private readonly IGalleryStatus? _gallery;
    private readonly InferenceSessionFactory? _models;
    private readonly TimeProvider _time;
    private readonly Lazy<IReadOnlyDictionary<string, string>> _hashes;

    public HealthReporter(CameraHealthRegistry cameras, TimeProvider time, IGalleryStatus? gallery = null, InferenceSessionFactory? models = null)
    {
        _cameras = cameras;
        _gallery = gallery;
        _models = models;
        _time = time;
        _hashes = new Lazy<IReadOnlyDictionary<string, string>>(() => HashModels(models?.ModelsDirectory));
    }

    public HealthDto Report()
    {
        var cameras = _cameras.Snapshot()
            .OrderBy(c => c.Camera, StringComparer.Ordinal)
            .Select(c => new CameraHealthDto(c.Camera, c.Online, Math.Round(c.ProcessedFps, 2), c.FramesRead, c.FramesDropped, c.Reconnects, c.Attempts, c.FailedAttempts, c.LastError, c.ChangedAt)
            {
                Detection = c.Detection is { } d
                    ? new DetectionLoadDto(d.StillFrames, d.FullScans, d.RegionScans, Math.Round(d.MotionShare, 4), Math.Round(d.RegionsPerFrame, 2), Math.Round(d.DetectorMs, 2))
                    : null,
            })
            .ToArray();
        var online = cameras.Count(c => c.Online);
        var status = online == 0 ? "down" : online == cameras.Length ? "ok" : "degraded";
        var gallery = _gallery?.Status;
        return new HealthDto(status, _time.GetUtcNow(), cameras, _models?.ProviderInUse, _models?.ModelsDirectory, _hashes.Value, gallery?.People, gallery?.Faces);
    }

    /// <summary>First 16 hex digits of the SHA-256 of each <c>.onnx</c> file, so a report says exactly which weights ran.</summary>
    private static Dictionary<string, string> HashModels(string? dir)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (dir is null || !Directory.Exists(dir))
        {
            return hashes;
        }

        foreach (var file in Directory.EnumerateFiles(dir, "*.onnx").Order(StringComparer.Ordinal))
        {
            hashes[Path.GetFileName(file)] = ModelFiles.Sha256Of(file)[..16];
        }

        return hashes;
    }
}
