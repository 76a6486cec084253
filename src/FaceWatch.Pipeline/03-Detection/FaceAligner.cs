using OpenCvSharp;

namespace FaceWatch.Pipeline.Detection;

/// <summary>
/// Cuts a face out of a frame, rotated and scaled so the five landmarks land on the standard ArcFace
/// template: the input the embedding network was trained on.
/// </summary>
public static class FaceAligner
{
    /// <summary>The standard five-point template for 112x112 (left eye, right eye, nose, left and right mouth corner).</summary>
    public static IReadOnlyList<Point2f> Template112 { get; } =
    [
        new(38.2946f, 51.6963f),
        new(73.5318f, 51.5014f),
        new(56.0252f, 71.7366f),
        new(41.5493f, 92.3655f),
        new(70.7299f, 92.2041f),
    ];

    /// <summary>The template scaled to a <paramref name="size"/> x <paramref name="size"/> crop.</summary>
    public static Point2f[] TemplateFor(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 16);
        var s = size / 112f;
        var points = new Point2f[5];
        for (var i = 0; i < 5; i++)
        {
            points[i] = new Point2f(Template112[i].X * s, Template112[i].Y * s);
        }

        return points;
    }

    /// <summary>
    /// Returns a new <paramref name="size"/> x <paramref name="size"/> BGR crop (owned by the caller), warped by the
    /// least-squares similarity transform from <paramref name="landmarks"/> to the template. Pixels from outside
    /// the frame repeat the border.
    /// </summary>
    public static Mat Align(Mat frame, Point2f[] landmarks, int size = 112)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(landmarks);
        if (frame.Empty())
        {
            throw new ArgumentException("Cannot align a face in an empty frame.", nameof(frame));
        }

        if (landmarks.Length != 5)
        {
            throw new ArgumentException($"Expected 5 landmarks, got {landmarks.Length}.", nameof(landmarks));
        }

        using var transform = EstimateSimilarity(landmarks, TemplateFor(size));
        var aligned = new Mat();
        Cv2.WarpAffine(frame, aligned, transform, new Size(size, size), InterpolationFlags.Linear, BorderTypes.Replicate);
        return aligned;
    }

    /// <summary>
    /// Least-squares similarity (rotation, uniform scale, translation; no reflection) mapping
    /// <paramref name="from"/> onto <paramref name="to"/>: Umeyama's closed form in two dimensions. Returns a 2x3 CV_64F matrix.
    /// </summary>
    public static Mat EstimateSimilarity(IReadOnlyList<Point2f> from, IReadOnlyList<Point2f> to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (from.Count != to.Count || from.Count < 2)
        {
            throw new ArgumentException("Need at least two point pairs of equal count.", nameof(from));
        }

        double fx = 0, fy = 0, tx = 0, ty = 0;
        for (var i = 0; i < from.Count; i++)
        {
            fx += from[i].X;
            fy += from[i].Y;
            tx += to[i].X;
            ty += to[i].Y;
        }

        var n = from.Count;
        fx /= n;
        fy /= n;
        tx /= n;
        ty /= n;

        double dot = 0, cross = 0, norm = 0;
        for (var i = 0; i < n; i++)
        {
            double px = from[i].X - fx, py = from[i].Y - fy;
            double qx = to[i].X - tx, qy = to[i].Y - ty;
            dot += (px * qx) + (py * qy);
            cross += (px * qy) - (py * qx);
            norm += (px * px) + (py * py);
        }

        if (norm < 1e-9)
        {
            throw new ArgumentException("The landmarks all lie on one point; no transform can be fitted.", nameof(from));
        }

        // to = [a -b; b a] * from + t
        var a = dot / norm;
        var b = cross / norm;
        var m = new Mat(2, 3, MatType.CV_64FC1);
        m.Set(0, 0, a);
        m.Set(0, 1, -b);
        m.Set(0, 2, tx - ((a * fx) - (b * fy)));
        m.Set(1, 0, b);
        m.Set(1, 1, a);
        m.Set(1, 2, ty - ((b * fx) + (a * fy)));
        return m;
    }
}
