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
}
