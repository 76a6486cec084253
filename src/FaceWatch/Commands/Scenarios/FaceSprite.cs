using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

namespace FaceWatch.Commands.Scenarios;

/// <summary>
/// A head cut out of a photo (the detected face plus hair and chin, soft elliptical edge) at a reference size, pasted
/// into frames at any position and scale. Knows where its face box is, which is the ground truth box.
/// </summary>
public sealed class FaceSprite : IDisposable
{
    private readonly Mat _image;
    private readonly Mat _alpha; // CV_32FC1, 0..1
    private readonly Rect2f _face; // the face box in sprite pixels

    private FaceSprite(Mat image, Mat alpha, Rect2f face)
    {
        _image = image;
        _alpha = alpha;
        _face = face;
    }

    /// <summary>Cuts the head around <paramref name="face"/> out of <paramref name="photo"/>, scaled so the face box is <paramref name="faceWidth"/> wide.</summary>
    public static FaceSprite Create(Mat photo, FaceDetection face, double faceWidth)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(face);
        var box = face.Box;
        var k = faceWidth / box.Width;
        var rw = box.Width * 1.8;
        var rh = box.Height * 2.1;
        var cx = box.X + (box.Width / 2);
        var cy = box.Y + (box.Height * 0.58);
        var pad = (int)Math.Ceiling(Math.Max(rw, rh));
        using var padded = new Mat();
        // Replicated edges: a face near the photo's border still gets a whole head region.
        Cv2.CopyMakeBorder(photo, padded, pad, pad, pad, pad, BorderTypes.Replicate);
        var region = new Rect((int)Math.Round(cx - (rw / 2)) + pad, (int)Math.Round(cy - (rh / 2)) + pad, (int)Math.Round(rw), (int)Math.Round(rh));
        using var view = new Mat(padded, region);
        var size = new Size(Math.Max(8, (int)Math.Round(rw * k)), Math.Max(8, (int)Math.Round(rh * k)));
        var image = new Mat();
        Cv2.Resize(view, image, size, 0, 0, k < 1 ? InterpolationFlags.Area : InterpolationFlags.Linear);
        var alpha = new Mat(size, MatType.CV_32FC1, Scalar.All(0));
        Cv2.Ellipse(alpha, new RotatedRect(new Point2f(size.Width / 2f, size.Height / 2f), new Size2f(size.Width * 0.86f, size.Height * 0.92f), 0), Scalar.All(1), -1);
        var sigma = Math.Max(1, size.Width * 0.05);
        Cv2.GaussianBlur(alpha, alpha, new Size(0, 0), sigma);
        var scaleX = size.Width / rw;
        var scaleY = size.Height / rh;
        var originX = region.X - pad;
        var originY = region.Y - pad;
        var faceBox = new Rect2f((float)((box.X - originX) * scaleX), (float)((box.Y - originY) * scaleY), (float)(box.Width * scaleX), (float)(box.Height * scaleY));
        return new FaceSprite(image, alpha, faceBox);
    }

    /// <summary>The face box when the face's centre is at <paramref name="centre"/> and the sprite is drawn at <paramref name="scale"/>.</summary>
    public Rect2f FaceBoxAt(Point2d centre, double scale)
    {
        var (x, y) = TopLeft(centre, scale);
        return new Rect2f((float)(x + (_face.X * scale)), (float)(y + (_face.Y * scale)), (float)(_face.Width * scale), (float)(_face.Height * scale));
    }

    /// <summary>Blends the head into <paramref name="frame"/> (BGR) with its face centre at <paramref name="centre"/>.</summary>
    public void Draw(Mat frame, Point2d centre, double scale)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var size = new Size(Math.Max(2, (int)Math.Round(_image.Width * scale)), Math.Max(2, (int)Math.Round(_image.Height * scale)));
        var (x, y) = TopLeft(centre, scale);
        var at = new Rect((int)Math.Round(x), (int)Math.Round(y), size.Width, size.Height);
        var visible = at & new Rect(0, 0, frame.Width, frame.Height);
        if (visible.Width <= 0 || visible.Height <= 0)
        {
            return;
        }

        using var image = new Mat();
        using var alpha = new Mat();
        Cv2.Resize(_image, image, size, 0, 0, InterpolationFlags.Linear);
        Cv2.Resize(_alpha, alpha, size, 0, 0, InterpolationFlags.Linear);
        var inner = new Rect(visible.X - at.X, visible.Y - at.Y, visible.Width, visible.Height);
        using var src = new Mat(image, inner);
        using var weight = new Mat(alpha, inner);
        using var inverse = new Mat();
        Cv2.Subtract(Scalar.All(1), weight, inverse);
        using var target = new Mat(frame, visible);
        using var blended = new Mat();
        Cv2.BlendLinear(src, target, weight, inverse, blended);
        blended.CopyTo(target);
    }

    public void Dispose()
    {
        _image.Dispose();
        _alpha.Dispose();
    }

    private (double X, double Y) TopLeft(Point2d centre, double scale)
    {
        var fx = (_face.X + (_face.Width / 2)) * scale;
        var fy = (_face.Y + (_face.Height / 2)) * scale;
        return (centre.X - fx, centre.Y - fy);
    }
}
