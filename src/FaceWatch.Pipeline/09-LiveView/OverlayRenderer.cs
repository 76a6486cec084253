using FaceWatch.Pipeline.Capture;
using OpenCvSharp;

using FaceWatch.Core.Health;
namespace FaceWatch.Pipeline.LiveView;

/// <summary>
/// Draws tracks and camera status onto a frame, the same for overlay windows and the web view.
/// Pure drawing: no state, no threads; the caller owns the <see cref="Mat"/>.
/// </summary>
public static class OverlayRenderer
{
    /// <summary>Box colour of an identified face (BGR pure green, so tests can find it in screenshots).</summary>
    public static readonly Scalar KnownColor = new(0, 255, 0);

    /// <summary>Box colour of an unknown face (BGR pure red-orange, distinct from <see cref="KnownColor"/>).</summary>
    public static readonly Scalar UnknownColor = new(0, 64, 255);

    /// <summary>Box colour while a track is not decided yet.</summary>
    public static readonly Scalar PendingColor = new(255, 200, 0);

    public static readonly Scalar LandmarkColor = new(0, 255, 255);

    /// <summary>Box line thickness for an image of this width (2 px up to 640, thicker for large frames).</summary>
    public static int Thickness(int imageWidth) => Math.Max(2, imageWidth / 320);

    /// <summary>
    /// What the label of a track says: <c>#3 name (0.87)</c> or <c>#4 unknown (0.59)</c>, then why when known: the
    /// similarity and margin (<c>sim 0.62 +0.15</c>) for a name, the nearest person behind an <c>unknown</c>
    /// (<c>~bob 0.41 +0.02</c>); <c>#id</c> while undecided.
    /// </summary>
    public static string Label(TrackOverlay track)
    {
        ArgumentNullException.ThrowIfNull(track);
        var who = string.IsNullOrEmpty(track.Name) ? null : track.Name;
        if (who is null)
        {
            return $"#{track.TrackId}";
        }

        var culture = System.Globalization.CultureInfo.InvariantCulture;
        var margin = track.Margin is { } m ? string.Create(culture, $" {m:+0.00;-0.00}") : "";
        var why = track.Nearest is null ? ""
            : track.Known ? string.Create(culture, $" sim {track.Similarity:0.00}{margin}")
            : string.Create(culture, $" ~{track.Nearest} {track.Similarity:0.00}{margin}");
        return string.Create(culture, $"#{track.TrackId} {who} ({track.Confidence:0.00}){why}");
    }

    public static Scalar ColorOf(TrackOverlay track)
    {
        ArgumentNullException.ThrowIfNull(track);
        if (string.IsNullOrEmpty(track.Name))
        {
            return PendingColor;
        }

        return track.Known ? KnownColor : UnknownColor;
    }

    /// <summary>Draws every track (box, landmarks, label) and a status line with the camera's fps and dropped frames.</summary>
    public static void Draw(Mat image, IReadOnlyList<TrackOverlay> tracks, CameraHealth? health, string? camera = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(tracks);
        var thickness = Thickness(image.Width);
        var fontScale = Math.Max(0.45, image.Width / 1280.0);
        foreach (var track in tracks)
        {
            DrawTrack(image, track, thickness, fontScale);
        }

        DrawStatus(image, health, camera ?? health?.Camera, fontScale);
    }

    private static void DrawTrack(Mat image, TrackOverlay track, int thickness, double fontScale)
    {
        var color = ColorOf(track);
        var box = new Rect(
            (int)MathF.Round(track.Box.X),
            (int)MathF.Round(track.Box.Y),
            Math.Max(1, (int)MathF.Round(track.Box.Width)),
            Math.Max(1, (int)MathF.Round(track.Box.Height)));
        Cv2.Rectangle(image, box, color, thickness, LineTypes.Link8);

        if (track.Landmarks is { } landmarks)
        {
            var radius = Math.Max(2, thickness);
            foreach (var p in landmarks)
            {
                Cv2.Circle(image, new Point((int)MathF.Round(p.X), (int)MathF.Round(p.Y)), radius, LandmarkColor, -1, LineTypes.AntiAlias);
            }
        }

        // Label sits above the box, or inside it when the box touches the top edge.
        var label = Label(track);
        var size = Cv2.GetTextSize(label, HersheyFonts.HersheySimplex, fontScale, 1, out var baseline);
        var top = box.Y - size.Height - baseline - 4;
        if (top < 0)
        {
            top = box.Y + thickness;
        }

        var background = new Rect(box.X, top, size.Width + 6, size.Height + baseline + 4);
        Cv2.Rectangle(image, background, color, -1);
        Cv2.PutText(image, label, new Point(box.X + 3, top + size.Height + 2), HersheyFonts.HersheySimplex, fontScale, Scalar.Black, 1, LineTypes.AntiAlias);
    }

    /// <summary>Where the detector looked: motion share, regions per frame, detector ms per frame, frames skipped as still.</summary>
    private static string Load(DetectionLoad? load) => load is null
        ? ""
        : string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"  motion {100 * load.MotionShare:0}%  regions {load.RegionsPerFrame:0.0}  detect {load.DetectorMs:0.0} ms  still {load.StillFrames}");

    private static void DrawStatus(Mat image, CameraHealth? health, string? camera, double fontScale)
    {
        var text = health is null
            ? camera ?? ""
            : string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"{camera}  {health.ProcessedFps:0.0} fps  dropped {health.FramesDropped}{Load(health.Detection)}{(health.Online ? "" : "  OFFLINE")}");
        if (text.Length == 0)
        {
            return;
        }

        var size = Cv2.GetTextSize(text, HersheyFonts.HersheySimplex, fontScale, 1, out var baseline);
        var y = image.Height - 4;
        Cv2.Rectangle(image, new Rect(0, y - size.Height - baseline - 2, size.Width + 8, size.Height + baseline + 6), new Scalar(32, 32, 32), -1);
        Cv2.PutText(image, text, new Point(4, y - baseline + 1), HersheyFonts.HersheySimplex, fontScale, Scalar.White, 1, LineTypes.AntiAlias);
    }
}
