using OpenCvSharp;

using FaceWatch.Pipeline.Capture;
namespace FaceWatch.Commands.Scenarios;

/// <summary>
/// The frame number drawn into the picture as a strip of black and white 8x8 cells (bottom-left corner), so a sink
/// that only sees decoded frames (after H.264, RTSP and ffmpeg) still knows which frame of the scenario it holds.
/// Cells on the 8-pixel grid survive 4:2:0 chroma and H.264 at any sane quality.
/// </summary>
public static class FrameStamp
{
    public const int Cell = 8;
    public const int DataBits = 14;

    // Marker 1,0 first, then the data bits (most significant first), then even parity.
    private const int Cells = 2 + DataBits + 1;

    public static int MaxFrame => (1 << DataBits) - 1;

    /// <summary>Width of the strip in pixels (from x = <see cref="Cell"/>).</summary>
    public static int Width => Cells * Cell;

    public static void Draw(Mat frame, int index)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, MaxFrame);
        var bits = Bits(index);
        var y = Top(frame);
        for (var i = 0; i < Cells; i++)
        {
            var colour = bits[i] ? Scalar.White : Scalar.Black;
            Cv2.Rectangle(frame, new Rect(Cell + (i * Cell), y, Cell, Cell), colour, -1);
        }
    }

    /// <summary>The frame number, or null when the strip is missing or damaged (marker or parity wrong).</summary>
    public static int? Read(Mat frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Width < (Cells + 2) * Cell || frame.Height < 3 * Cell || frame.Type() != MatType.CV_8UC3)
        {
            return null;
        }

        var y = Top(frame);
        var bits = new bool[Cells];
        for (var i = 0; i < Cells; i++)
        {
            // The cell's centre 4x4: edges blur into the neighbours after compression.
            var sum = 0;
            for (var dy = 2; dy < 6; dy++)
            {
                for (var dx = 2; dx < 6; dx++)
                {
                    var p = frame.At<Vec3b>(y + dy, Cell + (i * Cell) + dx);
                    sum += p.Item0 + p.Item1 + p.Item2;
                }
            }

            bits[i] = sum > 16 * 3 * 128;
        }

        if (!bits[0] || bits[1])
        {
            return null;
        }

        var value = 0;
        var ones = 0;
        for (var i = 0; i < DataBits; i++)
        {
            value = (value << 1) | (bits[2 + i] ? 1 : 0);
            ones += bits[2 + i] ? 1 : 0;
        }

        return (ones % 2 == 1) == bits[Cells - 1] ? value : null;
    }

    private static int Top(Mat frame) => frame.Height - (2 * Cell);

    /// <summary>
    /// The strip's corner as a motion mask (fractions of a <paramref name="width"/> x <paramref name="height"/> frame, a
    /// cell of margin round it): the stamp changes every frame, as a camera's clock overlay does, and users mask those.
    /// </summary>
    public static (double X, double Y, double Width, double Height) MotionMask(int width, int height) =>
        (0, (double)(height - (3 * Cell)) / height, (double)(Width + (2 * Cell)) / width, 3.0 * Cell / height);

    private static bool[] Bits(int index)
    {
        var bits = new bool[Cells];
        bits[0] = true;
        var ones = 0;
        for (var i = 0; i < DataBits; i++)
        {
            var bit = ((index >> (DataBits - 1 - i)) & 1) == 1;
            bits[2 + i] = bit;
            ones += bit ? 1 : 0;
        }

        bits[Cells - 1] = ones % 2 == 1;
        return bits;
    }
}
