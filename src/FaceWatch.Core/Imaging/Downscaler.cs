using OpenCvSharp;

namespace FaceWatch.Core.Imaging;

/// <summary>
/// The one way FaceWatch shrinks a picture: to a size limit for the detector (area average, and the factor back to
/// the original's pixels), or to a thumbnail for motion and shot-cut checks (a nearest-neighbour pick to a few times
/// the thumbnail first, then the area average: an area resize of a whole 720p frame costs more than the checks).
/// </summary>
public static class Downscaler
{
    /// <summary>The size <paramref name="source"/> shrinks to so its shorter side is at most <paramref name="maxShortSide"/> and its longer at most <paramref name="maxLongSide"/> (0: no limit); null when it fits.</summary>
    public static Size? LimitFor(Size source, int maxShortSide = 0, int maxLongSide = 0)
    {
        var factor = 1.0;
        var shorter = Math.Min(source.Width, source.Height);
        var longer = Math.Max(source.Width, source.Height);
        if (maxShortSide > 0 && shorter > maxShortSide)
        {
            factor = Math.Min(factor, (double)maxShortSide / shorter);
        }

        if (maxLongSide > 0 && longer > maxLongSide)
        {
            factor = Math.Min(factor, (double)maxLongSide / longer);
        }

        return factor >= 1 ? null : new Size(Math.Max(1, (int)Math.Round(source.Width * factor)), Math.Max(1, (int)Math.Round(source.Height * factor)));
    }

    /// <summary>Area-averages <paramref name="source"/> into <paramref name="destination"/> at <paramref name="size"/>; returns the factor from the small picture's pixels back to the source's.</summary>
    public static float Shrink(Mat source, Mat destination, Size size)
    {
        ArgumentNullException.ThrowIfNull(source);
        Cv2.Resize(source, destination, size, 0, 0, InterpolationFlags.Area);
        return (float)source.Width / size.Width;
    }

    /// <summary>
    /// A small picture of <paramref name="source"/> at <paramref name="size"/>: when the source is more than
    /// <paramref name="pick"/> times wider, every pick-th-or-so pixel into <paramref name="scratch"/> first (a caller
    /// that runs every frame keeps one; null makes a temporary only when the pick is needed).
    /// </summary>
    public static void Thumbnail(Mat source, Mat destination, Size size, Mat? scratch, int pick)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Width > pick * size.Width)
        {
            using var temporary = scratch is null ? new Mat() : null;
            var picked = scratch ?? temporary!;
            Cv2.Resize(source, picked, new Size(pick * size.Width, pick * size.Height), 0, 0, InterpolationFlags.Nearest);
            Cv2.Resize(picked, destination, size, 0, 0, InterpolationFlags.Area);
        }
        else
        {
            Cv2.Resize(source, destination, size, 0, 0, InterpolationFlags.Area);
        }
    }
}
