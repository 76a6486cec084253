using FaceWatch.Core.Imaging;
using FaceWatch.Pipeline.Capture;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Motion;

/// <summary>What the motion detector made of one frame.</summary>
public enum MotionState
{
    /// <summary>Background known: <see cref="MotionResult.Areas"/> are where the scene changed.</summary>
    Measured,

    /// <summary>The background is still being learnt (camera start, new frame size, after a light change): nothing is known.</summary>
    Calibrating,

    /// <summary>Most of the frame changed at once (lights, exposure, camera moved): the background starts again.</summary>
    LightChange,
}

/// <summary>Motion in one frame: blobs in frame pixels, the share of the (unmasked) frame that moved, and whether it could be measured.</summary>
public sealed record MotionResult(MotionState State, IReadOnlyList<Rect> Areas, double Share)
{
    public static readonly MotionResult Calibrating = new(MotionState.Calibrating, [], 0);

    /// <summary>Not measured on this frame (a still scene is checked every few frames only): nothing known to have moved.</summary>
    public static readonly MotionResult Skipped = new(MotionState.Measured, [], 0);
}

/// <summary>
/// One camera's motion detector (the NVR recipe): a small blurred grey copy of the frame against a running-average
/// background, thresholded, masked, dilated, and its contours as boxes. Costs a fraction of a millisecond per frame, so
/// a still camera never pays for a detector run. Not thread-safe: one per camera, called by its detection worker.
/// </summary>
public sealed class MotionDetector : IDisposable
{
    private readonly GatingOptions _options;
    private readonly IReadOnlyList<MotionMask> _masks;
    private readonly Mat _picked = new();
    private readonly Mat _small = new();
    private readonly Mat _grey = new();
    private readonly Mat _background = new();
    private readonly Mat _backgroundBytes = new();
    private readonly Mat _diff = new();
    private readonly Mat _binary = new();
    private readonly Mat _kernel = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(3, 3));
    private Mat? _keep;
    private Size _frameSize;
    private int _calibrating;

    public MotionDetector(GatingOptions options, IReadOnlyList<MotionMask>? masks = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _masks = masks ?? [];
    }

    /// <summary>Light changes seen (each restarts the background).</summary>
    public long LightChanges { get; private set; }

    /// <summary>Measures motion in <paramref name="bgr"/> (8-bit, 1, 3 or 4 channels) and moves the background on.</summary>
    public MotionResult Observe(Mat bgr)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        var size = new Size(bgr.Width, bgr.Height);
        var width = Math.Min(_options.MotionWidth, size.Width);
        var height = Math.Max(1, (int)Math.Round(size.Height * (double)width / Math.Max(1, size.Width)));
        Shrink(bgr, new Size(width, height));

        if (size != _frameSize)
        {
            _frameSize = size;
            BuildKeepMask(new Size(width, height));
            Restart();
        }

        if (_calibrating > 0)
        {
            // Learn fast: the first frame is the background, later ones pull it halfway each.
            Cv2.AccumulateWeighted(_grey, _background, 0.5, null!);
            _calibrating--;
            return MotionResult.Calibrating;
        }

        _background.ConvertTo(_backgroundBytes, MatType.CV_8U);
        Cv2.Absdiff(_grey, _backgroundBytes, _diff);
        Cv2.Threshold(_diff, _binary, _options.MotionThreshold, 255, ThresholdTypes.Binary);
        if (_keep is not null)
        {
            Cv2.BitwiseAnd(_binary, _keep, _binary);
        }

        Cv2.Dilate(_binary, _binary, _kernel, null, 2);
        var share = (double)Cv2.CountNonZero(_binary) / (width * height);
        if (share > _options.LightChangeShare)
        {
            LightChanges++;
            Restart();
            return new MotionResult(MotionState.LightChange, [], share);
        }

        Cv2.AccumulateWeighted(_grey, _background, _options.BackgroundAlpha, null!);
        if (share == 0)
        {
            return new MotionResult(MotionState.Measured, [], 0);
        }

        Cv2.FindContours(_binary, out var contours, out _, RetrievalModes.External, ContourApproximationModes.ApproxSimple);
        var minArea = _options.MinMotionShare * width * height;
        var scaleX = (double)size.Width / width;
        var scaleY = (double)size.Height / height;
        var areas = new List<Rect>(contours.Length);
        foreach (var contour in contours)
        {
            var box = Cv2.BoundingRect(contour);
            if (box.Width * box.Height < minArea)
            {
                continue;
            }

            areas.Add(new Rect(
                (int)Math.Floor(box.X * scaleX),
                (int)Math.Floor(box.Y * scaleY),
                (int)Math.Ceiling(box.Width * scaleX),
                (int)Math.Ceiling(box.Height * scaleY)) & new Rect(0, 0, size.Width, size.Height));
        }

        return new MotionResult(MotionState.Measured, areas, share);
    }

    /// <summary>Forgets the background (e.g. after a shot cut): the next frames calibrate.</summary>
    public void Restart()
    {
        _grey.ConvertTo(_background, MatType.CV_32F);
        _calibrating = _options.CalibrationFrames;
    }

    public void Dispose()
    {
        _picked.Dispose();
        _small.Dispose();
        _grey.Dispose();
        _background.Dispose();
        _backgroundBytes.Dispose();
        _diff.Dispose();
        _binary.Dispose();
        _kernel.Dispose();
        _keep?.Dispose();
    }

    /// <summary>The frame at motion size, grey and blurred (sensor noise and compression blocks are not motion).</summary>
    private void Shrink(Mat bgr, Size size)
    {
        // A pick to 2x first (a quarter of the pixels read); the blur below smooths what the pick aliases.
        Downscaler.Thumbnail(bgr, _small, size, _picked, pick: 2);

        switch (_small.Channels())
        {
            case 1:
                _small.CopyTo(_grey);
                break;
            case 4:
                Cv2.CvtColor(_small, _grey, ColorConversionCodes.BGRA2GRAY);
                break;
            default:
                Cv2.CvtColor(_small, _grey, ColorConversionCodes.BGR2GRAY);
                break;
        }

        Cv2.GaussianBlur(_grey, _grey, new Size(5, 5), 0);
    }

    /// <summary>255 where motion counts, 0 under the masks; null without masks.</summary>
    private void BuildKeepMask(Size size)
    {
        _keep?.Dispose();
        _keep = null;
        if (_masks.Count == 0)
        {
            return;
        }

        _keep = new Mat(size, MatType.CV_8UC1, Scalar.All(255));
        foreach (var mask in _masks)
        {
            var rect = new Rect(
                (int)Math.Floor(mask.X * size.Width),
                (int)Math.Floor(mask.Y * size.Height),
                (int)Math.Ceiling(mask.Width * size.Width),
                (int)Math.Ceiling(mask.Height * size.Height)) & new Rect(0, 0, size.Width, size.Height);
            if (rect.Width > 0 && rect.Height > 0)
            {
                _keep.Rectangle(rect, Scalar.All(0), -1);
            }
        }
    }
}
