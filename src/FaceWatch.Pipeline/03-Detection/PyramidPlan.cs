using OpenCvSharp;

namespace FaceWatch.Pipeline.Detection;

/// <summary>One pyramid level placed on the P-Net canvas.</summary>
/// <param name="Area">Where the level sits on the canvas (x and y even, so P-Net's stride-2 grid lines up).</param>
/// <param name="ScaleX">Level width / image width.</param>
/// <param name="ScaleY">Level height / image height.</param>
internal readonly record struct PyramidTile(Rect Area, float ScaleX, float ScaleY)
{
    /// <summary>P-Net cells whose whole 12x12 window lies inside the level (stride 2).</summary>
    public int CellsX => ((Area.Width - PyramidPlan.Window) / 2) + 1;

    public int CellsY => ((Area.Height - PyramidPlan.Window) / 2) + 1;
}

/// <summary>
/// The image pyramid for one frame size and minimum face, packed onto one canvas so P-Net runs once per
/// frame instead of once per level: the small levels are too small to keep the CPU busy on their own, and
/// a fixed canvas shape per camera lets ONNX Runtime reuse its memory plan. P-Net is fully convolutional
/// with a 12x12 window and stride 2, so a cell whose window lies inside one level sees exactly what it
/// would see if that level ran alone; cells that straddle two levels are ignored.
/// </summary>
internal sealed class PyramidPlan
{
    public const int Window = 12;

    private PyramidPlan(Size canvas, PyramidTile[] tiles)
    {
        CanvasSize = canvas;
        Tiles = tiles;
    }

    public Size CanvasSize { get; }

    /// <summary>Levels, largest first. Empty when the image is smaller than the minimum face.</summary>
    public IReadOnlyList<PyramidTile> Tiles { get; }

    /// <summary>Level sizes: scale 12/minFace, then times <paramref name="factor"/> while both sides stay >= 12 px.</summary>
    public static List<Size> LevelSizes(Size image, int minFace, float factor)
    {
        var sizes = new List<Size>();
        var scale = (double)Window / minFace;
        while (true)
        {
            var w = (int)Math.Ceiling(image.Width * scale);
            var h = (int)Math.Ceiling(image.Height * scale);
            if (Math.Min(image.Width, image.Height) * scale < Window || w < Window || h < Window)
            {
                break;
            }

            sizes.Add(new Size(w, h));
            scale *= factor;
        }

        return sizes;
    }

    /// <summary>
    /// Shelf packing: the canvas is as wide as the two largest levels side by side; levels go left to right,
    /// a new shelf starts when the next one does not fit. Wastes about a quarter of the canvas, which costs
    /// less than running P-Net on each small level separately.
    /// </summary>
    public static PyramidPlan Create(Size image, int minFace, float factor)
    {
        var sizes = LevelSizes(image, minFace, factor);
        if (sizes.Count == 0)
        {
            return new PyramidPlan(new Size(0, 0), []);
        }

        var canvasWidth = sizes[0].Width + (sizes.Count > 1 ? Even(sizes[1].Width) : 0);
        var tiles = new PyramidTile[sizes.Count];
        int x = 0, y = 0, shelfHeight = 0, usedWidth = 0;
        for (var i = 0; i < sizes.Count; i++)
        {
            var s = sizes[i];
            if (x > 0 && x + s.Width > canvasWidth)
            {
                y += Even(shelfHeight);
                x = 0;
                shelfHeight = 0;
            }

            tiles[i] = new PyramidTile(
                new Rect(x, y, s.Width, s.Height),
                (float)s.Width / image.Width,
                (float)s.Height / image.Height);
            usedWidth = Math.Max(usedWidth, x + s.Width);
            x += Even(s.Width);
            shelfHeight = Math.Max(shelfHeight, s.Height);
        }

        return new PyramidPlan(new Size(usedWidth, y + shelfHeight), tiles);
    }

    private static int Even(int v) => (v + 1) & ~1;
}
