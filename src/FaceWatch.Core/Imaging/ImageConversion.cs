using OpenCvSharp;

namespace FaceWatch.Core.Imaging;

/// <summary>Brings any decoded image to the one format the pipeline works on: 8-bit, 3-channel BGR.</summary>
public static class ImageConversion
{
    /// <summary>True if <paramref name="image"/> is already 8-bit BGR and can be used as is.</summary>
    public static bool IsBgr8(Mat image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Type() == MatType.CV_8UC3;
    }

    /// <summary>
    /// Returns a new 8-bit BGR image (owned by the caller) from a grey, BGR or BGRA image of 8 or 16 bits
    /// (or float in 0..1). Transparent pixels are blended over white, so a cut-out portrait keeps its outline.
    /// </summary>
    /// <exception cref="ArgumentException">The image is empty or has a format that cannot be shown as a photo.</exception>
    public static Mat ToBgr8(Mat image, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var what = name is null ? "image" : $"image '{name}'";
        if (image.Empty() || image.Width <= 0 || image.Height <= 0)
        {
            throw new ArgumentException($"The {what} is empty ({image.Width}x{image.Height}).", nameof(image));
        }

        var channels = image.Channels();
        if (channels is not (1 or 3 or 4))
        {
            throw new ArgumentException($"The {what} has {channels} channels; expected 1 (grey), 3 (BGR) or 4 (BGRA).", nameof(image));
        }

        var depth = image.Depth();
        if (depth != MatType.CV_8U && depth != MatType.CV_16U && depth != MatType.CV_32F && depth != MatType.CV_64F)
        {
            throw new ArgumentException($"The {what} has pixel type {image.Type()}; expected 8-bit, 16-bit or float pixels.", nameof(image));
        }

#pragma warning disable CA2000 // returned to the caller, who owns it; disposed in the catch when the conversion fails
        var bgr = new Mat();
#pragma warning restore CA2000
        try
        {
            // 8-bit input is read as is: the colour step below writes the new image, so no copy is needed first.
            // Deeper BGR is scaled straight into the result; deeper grey or BGRA goes through an 8-bit copy first.
            using var converted = new Mat();
            var eightBit = image;
            if (depth != MatType.CV_8U)
            {
                eightBit = channels == 3 ? bgr : converted;

                // 65535 -> 255; float 1.0 -> 255.
                image.ConvertTo(eightBit, MatType.MakeType(MatType.CV_8U, channels), depth == MatType.CV_16U ? 1.0 / 257.0 : 255.0);
            }

            switch (channels)
            {
                case 1:
                    Cv2.CvtColor(eightBit, bgr, ColorConversionCodes.GRAY2BGR);
                    break;
                case 4:
                    BlendOverWhite(eightBit, bgr);
                    break;
                default:
                    if (!ReferenceEquals(eightBit, bgr))
                    {
                        eightBit.CopyTo(bgr);
                    }

                    break;
            }

            return bgr;
        }
        catch
        {
            bgr.Dispose();
            throw;
        }
    }

    private static void BlendOverWhite(Mat bgra, Mat bgr)
    {
        using var alpha = new Mat();
        Cv2.ExtractChannel(bgra, alpha, 3);
        Cv2.MinMaxLoc(alpha, out double minAlpha, out _);
        Cv2.CvtColor(bgra, bgr, ColorConversionCodes.BGRA2BGR);
        if (minAlpha >= 255)
        {
            return;
        }

        // out = colour * a + 255 * (1 - a), in float to keep it exact enough.
        using var alpha3 = new Mat();
        Cv2.CvtColor(alpha, alpha3, ColorConversionCodes.GRAY2BGR);
        using var a = new Mat();
        alpha3.ConvertTo(a, MatType.CV_32FC3, 1.0 / 255.0);
        using var colour = new Mat();
        bgr.ConvertTo(colour, MatType.CV_32FC3);
        using var blended = new Mat();
        Cv2.Multiply(colour, a, blended);
        using var inverse = new Mat();
        Cv2.Subtract(Scalar.All(1.0), a, inverse);
        Cv2.ScaleAdd(inverse, 255.0, blended, blended);
        blended.ConvertTo(bgr, MatType.CV_8UC3);
    }
}
