using OpenCvSharp;

namespace FaceWatch.Pipeline.Detection;

/// <summary>
/// One face found in an image, in image pixel coordinates.
/// Landmarks are, as seen in the image: left eye, right eye, nose, left mouth corner, right mouth corner.
/// </summary>
public sealed record FaceDetection(Rect2f Box, float Score, Point2f[] Landmarks);

/// <summary>Finds faces in a BGR image. Implementations are thread-safe.</summary>
public interface IFaceDetector
{
    /// <summary>Detects faces, sorted by descending score. An image without faces gives an empty list.</summary>
    IReadOnlyList<FaceDetection> Detect(Mat image, int? minFaceSize = null);

    /// <summary>
    /// Detects faces inside <paramref name="regions"/> of <paramref name="image"/> only (boxes in image pixels). This
    /// default runs <see cref="Detect(Mat, int?)"/> per region and keeps the better of two boxes on one face.
    /// </summary>
    /// <param name="refind">Boxes where a face is expected (tracked faces); this default searches a region twice their size.</param>
    IReadOnlyList<FaceDetection> DetectIn(Mat image, IReadOnlyList<DetectionRegion> regions, IReadOnlyList<Rect2f>? refind = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(regions);
        var found = new List<FaceDetection>();
        var searched = regions.Concat((refind ?? []).Select(b => new DetectionRegion(
            new Rect((int)(b.X - (b.Width / 2)), (int)(b.Y - (b.Height / 2)), (int)(2 * b.Width), (int)(2 * b.Height)), Math.Max(12, (int)(b.Width / 2)))));
        foreach (var region in searched)
        {
            var area = region.Area & new Rect(0, 0, image.Width, image.Height);
            if (Math.Min(area.Width, area.Height) < region.MinFace)
            {
                continue;
            }

            using var roi = new Mat(image, area);
            foreach (var face in Detect(roi, region.MinFace))
            {
                var box = new Rect2f(face.Box.X + area.X, face.Box.Y + area.Y, face.Box.Width, face.Box.Height);
                if (!found.Any(f => Overlap(f.Box, box) > 0.5f))
                {
                    found.Add(face with { Box = box, Landmarks = face.Landmarks.Select(p => new Point2f(p.X + area.X, p.Y + area.Y)).ToArray() });
                }
            }
        }

        return found.OrderByDescending(f => f.Score).ToArray();

        static float Overlap(Rect2f a, Rect2f b)
        {
            var w = Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X);
            var h = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y);
            return w <= 0 || h <= 0 ? 0 : w * h / ((a.Width * a.Height) + (b.Width * b.Height) - (w * h));
        }
    }
}
