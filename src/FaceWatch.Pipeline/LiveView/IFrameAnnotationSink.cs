using FaceWatch.Pipeline.Capture;
using OpenCvSharp;

namespace FaceWatch.Pipeline.LiveView;

/// <summary>One tracked face as the overlay draws it.</summary>
public sealed record TrackOverlay(long TrackId, Rect2f Box, Point2f[]? Landmarks, string? Name, bool Known, double Confidence);

/// <summary>
/// Receives each processed frame with its tracks, for overlay windows and the web live view.
/// The pipeline keeps ownership of <paramref name="frame"/>: a sink that wants it later copies it,
/// and must return quickly (drawing happens off the detection path).
/// </summary>
public interface IFrameAnnotationSink
{
    void Post(Frame frame, IReadOnlyList<TrackOverlay> tracks, CameraHealth? health);
}
