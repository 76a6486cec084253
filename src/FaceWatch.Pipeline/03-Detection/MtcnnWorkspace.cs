using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Detection;

/// <summary>
/// Everything one detection call writes to, reused from frame to frame. The detector keeps a pool of
/// these, so cameras detecting in parallel never share a buffer and nothing is allocated per frame.
/// </summary>
internal sealed class MtcnnWorkspace : IDisposable
{
    // Region scans see a few shapes per camera (edges snap to a grid); full frames one.
    private const int MaxCachedCanvases = 12;
    private readonly Dictionary<(int Width, int Height, int MinFace, float Factor), PyramidCanvas> _canvases = [];

    public RunOptions RunOptions { get; } = new();

    public NetworkInput RNetInput { get; } = new(24, 24);

    public NetworkInput ONetInput { get; } = new(48, 48);

    /// <summary>One crop at a time: it is copied into the network input right away.</summary>
    public Mat Crop { get; } = new();

    public Mat Padded { get; } = new();

    public Mat Downscaled { get; } = new();

    /// <summary>The frame halved again and again (pyrDown), built as crops need them; index 0 is the half-size frame.</summary>
    public List<Mat> Halves { get; } = [];

    /// <summary>How many of <see cref="Halves"/> belong to the current frame.</summary>
    public int ValidHalves { get; set; }

    public List<CandidateBox> Level { get; } = [];

    public List<CandidateBox> Boxes { get; } = [];

    /// <summary>P-Net candidates of all regions of a frame, in frame pixels.</summary>
    public List<CandidateBox> RegionBoxes { get; } = [];

    public float[] Landmarks { get; set; } = [];

    /// <summary>The canvas for this frame size and minimum face; a camera keeps hitting the same one.</summary>
    public PyramidCanvas CanvasFor(Size image, int minFace, float factor)
    {
        var key = (image.Width, image.Height, minFace, factor);
        if (_canvases.TryGetValue(key, out var canvas))
        {
            return canvas;
        }

        if (_canvases.Count >= MaxCachedCanvases)
        {
            foreach (var c in _canvases.Values)
            {
                c.Dispose();
            }

            _canvases.Clear();
        }

        canvas = new PyramidCanvas(PyramidPlan.Create(image, minFace, factor));
        _canvases.Add(key, canvas);
        return canvas;
    }

    public void Dispose()
    {
        foreach (var c in _canvases.Values)
        {
            c.Dispose();
        }

        _canvases.Clear();
        RunOptions.Dispose();
        RNetInput.Dispose();
        ONetInput.Dispose();
        Crop.Dispose();
        Padded.Dispose();
        Downscaled.Dispose();
        foreach (var half in Halves)
        {
            half.Dispose();
        }
    }
}
