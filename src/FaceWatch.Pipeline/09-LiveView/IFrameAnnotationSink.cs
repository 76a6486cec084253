using FaceWatch.Pipeline.Capture;
using OpenCvSharp;

using FaceWatch.Core.Health;
namespace FaceWatch.Pipeline.LiveView;

/// <summary>One tracked face as the overlay draws it.</summary>
public sealed record TrackOverlay(long TrackId, Rect2f Box, Point2f[]? Landmarks, string? Name, bool Known, double Confidence)
{
    /// <summary>Why: the nearest enrolled person of the latest evidence (also behind <c>unknown</c>), its similarity and margin.</summary>
    public string? Nearest { get; init; }

    public double Similarity { get; init; }

    public double? Margin { get; init; }
}

/// <summary>
/// Receives each processed frame with its tracks, for overlay windows and the web live view.
/// The pipeline keeps ownership of <paramref name="frame"/>: a sink that wants it later copies it,
/// and must return quickly (drawing happens off the detection path).
/// </summary>
public interface IFrameAnnotationSink
{
    void Post(Frame frame, IReadOnlyList<TrackOverlay> tracks, CameraHealth? health);
}
