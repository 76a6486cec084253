using OpenCvSharp;

namespace FaceWatch.Commands.Calibration;

/// <summary>
/// How a sharp photo is made to look like a camera's face: downscaled so the face is <see cref="FaceWidth"/> pixels
/// wide and scaled back (area averaging down, bilinear up), then blurred with a Gaussian of <see cref="BlurSigma"/>
/// pixels at the face's size (defocus, motion). Zero turns either off.
/// </summary>
internal sealed record ProbeDegradation(int FaceWidth, double BlurSigma)
{
    public static readonly ProbeDegradation None = new(0, 0);

    public bool IsNone => FaceWidth <= 0 && BlurSigma <= 0;

    public override string ToString() =>
        IsNone ? "photos as they are"
        : FormattableString.Invariant($"{(FaceWidth > 0 ? $"faces {FaceWidth} px wide" : "faces at their own size")}{(BlurSigma > 0 ? $", Gaussian blur sigma {BlurSigma:0.##} px at that size" : "")}");

    /// <summary>The degraded copy of <paramref name="image"/> whose face is <paramref name="faceWidth"/> pixels wide.</summary>
    public Mat Apply(Mat image, double faceWidth)
    {
        var width = FaceWidth > 0 ? FaceWidth : faceWidth;
        var factor = width / faceWidth;
        var size = new Size(Math.Max(1, (int)Math.Round(image.Width * factor)), Math.Max(1, (int)Math.Round(image.Height * factor)));
        using var small = new Mat();
        Cv2.Resize(image, small, size, 0, 0, factor < 1 ? InterpolationFlags.Area : InterpolationFlags.Linear);
        if (BlurSigma > 0)
        {
            Cv2.GaussianBlur(small, small, new Size(0, 0), BlurSigma);
        }

        var back = new Mat();
        Cv2.Resize(small, back, image.Size(), 0, 0, InterpolationFlags.Linear);
        return back;
    }

    /// <summary>The central face of the degraded photo, embedded; null when the detector no longer finds it.</summary>
    public (float[] Embedding, double Width, double Sharpness)? Embed(FaceTools tools, Mat image, string file, double faceWidth)
    {
        using var degraded = Apply(image, faceWidth);
        return BenchOpenSet.EmbedCentralFace(tools, degraded, file);
    }
}
