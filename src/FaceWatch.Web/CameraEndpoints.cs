using FaceWatch.Core.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FaceWatch.Web;

/// <summary>
/// The cameras: <c>/api/cameras</c> (tiles as JSON), <c>/cameras/{name}/stream.mjpg</c> (<see cref="MjpegStream"/>)
/// and <c>/cameras/{name}/snapshot.jpg</c> (the latest annotated frame).
/// </summary>
internal static class CameraEndpoints
{
    public static IEndpointRouteBuilder MapCameras(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/cameras", (WebFrameSink frames, CameraHealthRegistry cameras) =>
            Results.Json(Tiles(frames, cameras), WebJsonContext.Default.IReadOnlyListCameraTileDto));
        endpoints.MapGet("/cameras/{name}/stream.mjpg", MjpegStream.ServeAsync);
        endpoints.MapGet("/cameras/{name}/snapshot.jpg", (string name, WebFrameSink frames) =>
            frames.Feed(name)?.Latest is { } latest
                ? Results.File(latest.Jpeg, "image/jpeg")
                : Results.NotFound($"No frame from camera '{name}' yet."));
        return endpoints;
    }

    /// <summary>Every camera that reported health or posted a frame, in ordinal order.</summary>
    public static IReadOnlyList<string> Names(WebFrameSink frames, CameraHealthRegistry cameras) =>
        cameras.Snapshot().Select(c => c.Camera).Union(frames.Cameras, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    private static List<CameraTileDto> Tiles(WebFrameSink frames, CameraHealthRegistry cameras) =>
        Names(frames, cameras).Select(name =>
        {
            var h = cameras.Get(name);
            var feed = frames.Feed(name);
            return new CameraTileDto(name, h?.Online ?? false, Math.Round(h?.ProcessedFps ?? 0, 2), h?.FramesDropped ?? 0, h?.LastError,
                feed?.Viewers ?? 0, feed?.Encoded ?? 0, Math.Round(feed?.LastEncodeMs ?? 0, 2));
        }).ToList();
}
