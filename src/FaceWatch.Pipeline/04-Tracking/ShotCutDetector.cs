using FaceWatch.Core.Imaging;
using System.Runtime.InteropServices;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Tracking;

/// <summary>
/// Frame-level cut detector on a 64-px grey thumbnail of each processed frame, against the previous one. A cut changes
/// both what is where and which tones there are, so it needs both: the thumbnails' correlation (after removing mean
/// brightness) at most <see cref="TrackingOptions.ShotCutMaxCorrelation"/> (a pan or a large movement also lowers it), and
/// the Bhattacharyya distance of their 16-bin grey histograms at least <see cref="TrackingOptions.ShotCutHistogramDistance"/>
/// (a light change also raises it). Costs one area resize and 2,304 pixels of arithmetic. Single-threaded, one per camera.
/// </summary>
public sealed class ShotCutDetector
{
    public const int Width = 64;
    private const int Bins = 16;

    private readonly double _maxCorrelation;
    private readonly double _minHistogramDistance;
    private byte[] _previous = [];
    private byte[] _current = [];
    private bool _any;

    public ShotCutDetector(double maxCorrelation, double minHistogramDistance)
    {
        _maxCorrelation = maxCorrelation;
        _minHistogramDistance = minHistogramDistance;
    }

    public ShotCutDetector(TrackingOptions options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).ShotCutMaxCorrelation, options.ShotCutHistogramDistance)
    {
    }

    /// <summary>Correlation and histogram distance measured on the latest frame, for diagnostics and calibration.</summary>
    public (double Correlation, double HistogramDistance) Last { get; private set; }

    /// <summary>Cuts seen so far.</summary>
    public long Cuts { get; private set; }

    /// <summary>True when <paramref name="bgr"/> starts a new shot (never for the first frame or after a size change).</summary>
    public bool Observe(Mat bgr)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        var height = Math.Max(1, (int)Math.Round(bgr.Height * (double)Width / Math.Max(1, bgr.Width)));
        using (var small = new Mat())
        using (var grey = new Mat())
        {
            Downscaler.Thumbnail(bgr, small, new Size(Width, height), scratch: null, pick: 4);

            // Grey and 8-bit already for most cameras: then the thumbnail is copied out as it is, with no extra Mat.
            var source = small;
            if (small.Channels() != 1)
            {
                Cv2.CvtColor(small, grey, small.Channels() == 4 ? ColorConversionCodes.BGRA2GRAY : ColorConversionCodes.BGR2GRAY);
                source = grey;
            }

            using var bytes = source.Depth() == MatType.CV_8U ? null : new Mat();
            if (bytes is not null)
            {
                source.ConvertTo(bytes, MatType.CV_8U);
                source = bytes;
            }

            var n = Width * height;
            if (_current.Length != n)
            {
                _current = new byte[n];
            }

            Marshal.Copy(source.Data, _current, 0, n);
        }

        var cut = false;
        if (_any && _previous.Length == _current.Length)
        {
            Last = Compare(_previous, _current);
            cut = Last.Correlation <= _maxCorrelation && Last.HistogramDistance >= _minHistogramDistance;
        }

        (_previous, _current) = (_current, _previous);
        _any = true;
        if (cut)
        {
            Cuts++;
        }

        return cut;
    }

    internal static (double Correlation, double HistogramDistance) Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        double meanA = 0, meanB = 0;
        Span<double> histA = stackalloc double[Bins];
        Span<double> histB = stackalloc double[Bins];
        for (var i = 0; i < a.Length; i++)
        {
            meanA += a[i];
            meanB += b[i];
            histA[a[i] * Bins / 256]++;
            histB[b[i] * Bins / 256]++;
        }

        meanA /= a.Length;
        meanB /= a.Length;
        double cross = 0, varA = 0, varB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var (x, y) = (a[i] - meanA, b[i] - meanB);
            cross += x * y;
            varA += x * x;
            varB += y * y;
        }

        // Two flat frames are alike (correlation 1), not undefined.
        var correlation = varA <= 0 || varB <= 0 ? 1 : cross / Math.Sqrt(varA * varB);
        double overlap = 0;
        for (var k = 0; k < Bins; k++)
        {
            overlap += Math.Sqrt(histA[k] * histB[k]) / a.Length;
        }

        return (correlation, Math.Sqrt(Math.Max(0, 1 - overlap)));
    }
}
