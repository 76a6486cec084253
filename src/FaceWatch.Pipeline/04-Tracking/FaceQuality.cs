using OpenCvSharp;

namespace FaceWatch.Pipeline.Tracking;

/// <summary>Quality gates of a face before it is embedded, and the weight its identification gets.</summary>
public static class FaceQuality
{
    /// <summary>Sharpness: variance of the Laplacian of the grey image (low = blurred).</summary>
    public static double Sharpness(Mat bgr)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        using var grey = new Mat();
        if (bgr.Channels() == 1)
        {
            bgr.CopyTo(grey);
        }
        else
        {
            Cv2.CvtColor(bgr, grey, ColorConversionCodes.BGR2GRAY);
        }

        using var laplacian = new Mat();
        Cv2.Laplacian(grey, laplacian, MatType.CV_64F);
        Cv2.MeanStdDev(laplacian, out _, out var stddev);
        return stddev.Val0 * stddev.Val0;
    }

    /// <summary>Null when the detection may be embedded, else why not.</summary>
    public static string? Gate(float faceSize, float score, int minFaceSize, RecognitionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (faceSize < minFaceSize)
        {
            return "small";
        }

        return score < options.MinScore ? "low score" : null;
    }

    /// <summary>0..1: full weight for a sharp face of 80 px or more with a confident detection.</summary>
    public static double Weight(float faceSize, float score, double sharpness, RecognitionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var size = Math.Clamp(faceSize / 80.0, 0.2, 1.0);
        var sharp = options.MinSharpness <= 0 ? 1.0 : Math.Clamp(sharpness / (4 * options.MinSharpness), 0.25, 1.0);
        return Math.Round(size * Math.Clamp(score, 0, 1) * sharp, 4);
    }
}
