using OpenCvSharp;

namespace FaceWatch.Pipeline.Detection;

/// <summary>The reusable buffers of one <see cref="PyramidPlan"/>: the BGR canvas, a view per level, the P-Net input.</summary>
internal sealed class PyramidCanvas : IDisposable
{
    private readonly Mat _canvas;
    private readonly Mat[] _levels;

    public PyramidCanvas(PyramidPlan plan)
    {
        Plan = plan;
        // Zeros between levels stay zero: cells that see them are never read.
        _canvas = new Mat(plan.CanvasSize, MatType.CV_8UC3, Scalar.All(0));
        _levels = new Mat[plan.Tiles.Count];
        for (var i = 0; i < _levels.Length; i++)
        {
            _levels[i] = new Mat(_canvas, plan.Tiles[i].Area);
        }

        Input = new NetworkInput(plan.CanvasSize.Height, plan.CanvasSize.Width, growthStep: 1);
        Input.EnsureCapacity(1);
    }

    public PyramidPlan Plan { get; }

    public NetworkInput Input { get; }

    /// <summary>Draws every level of <paramref name="image"/> onto the canvas and fills the P-Net input.</summary>
    public void Fill(Mat image)
    {
        // Area resampling: bilinear aliases when shrinking a frame 3x and more, and P-Net then misses hard
        // faces (bowed heads). Level 0 from the frame, the rest from level 0: same result, a fraction of the work.
        Cv2.Resize(image, _levels[0], _levels[0].Size(), 0, 0, InterpolationFlags.Area);
        for (var i = 1; i < _levels.Length; i++)
        {
            Cv2.Resize(_levels[0], _levels[i], _levels[i].Size(), 0, 0, InterpolationFlags.Area);
        }

        Input.SetImage(0, _canvas);
        Input.Normalise(1);
    }

    public void Dispose()
    {
        foreach (var level in _levels)
        {
            level.Dispose();
        }

        _canvas.Dispose();
        Input.Dispose();
    }
}
