namespace FaceWatch.Pipeline.Detection;

/// <summary>
/// A face candidate between MTCNN stages: corners in image pixels (x2, y2 exclusive), score and the
/// regression offsets the last network predicted (fractions of the box width/height).
/// </summary>
internal struct CandidateBox
{
    public float X1;
    public float Y1;
    public float X2;
    public float Y2;
    public float Score;
    public float Dx1;
    public float Dy1;
    public float Dx2;
    public float Dy2;

    /// <summary>Index of data kept beside the box (O-Net landmarks) that must follow it through NMS.</summary>
    public int Tag;

    public CandidateBox(float x1, float y1, float x2, float y2, float score)
    {
        X1 = x1;
        Y1 = y1;
        X2 = x2;
        Y2 = y2;
        Score = score;
    }

    public readonly float Width => X2 - X1;

    public readonly float Height => Y2 - Y1;

    public readonly float Area => Math.Max(0f, X2 - X1) * Math.Max(0f, Y2 - Y1);
}

/// <summary>How NMS measures overlap: IoU, or intersection over the smaller box (O-Net, removes a box inside another).</summary>
internal enum NmsMode
{
    Union,
    Min,
}

/// <summary>Box maths of MTCNN: non-maximum suppression, regression, squaring.</summary>
internal static class BoxMath
{
    private static readonly Comparison<CandidateBox> ByScoreDescending = static (a, b) => b.Score.CompareTo(a.Score);

    /// <summary>Overlap of two boxes by <paramref name="mode"/>; 0 if they do not touch.</summary>
    public static float Overlap(in CandidateBox a, in CandidateBox b, NmsMode mode)
    {
        var w = Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1);
        var h = Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1);
        if (w <= 0 || h <= 0)
        {
            return 0f;
        }

        var inter = w * h;
        var denominator = mode == NmsMode.Min ? Math.Min(a.Area, b.Area) : a.Area + b.Area - inter;
        return denominator <= 0 ? 0f : inter / denominator;
    }

    /// <summary>
    /// Greedy NMS in place: sorts by descending score and keeps a box only if it overlaps no kept box by
    /// <paramref name="threshold"/> or more. The list ends up holding the kept boxes, best first.
    /// </summary>
    public static void Nms(List<CandidateBox> boxes, float threshold, NmsMode mode)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        if (boxes.Count < 2)
        {
            return;
        }

        boxes.Sort(ByScoreDescending);
        var kept = 0;
        for (var i = 0; i < boxes.Count; i++)
        {
            var candidate = boxes[i];
            var suppressed = false;
            for (var k = 0; k < kept; k++)
            {
                if (Overlap(boxes[k], candidate, mode) >= threshold)
                {
                    suppressed = true;
                    break;
                }
            }

            if (!suppressed)
            {
                boxes[kept++] = candidate;
            }
        }

        boxes.RemoveRange(kept, boxes.Count - kept);
    }

    /// <summary>Moves the corners by the predicted offsets (fractions of the current width and height) and clears them.</summary>
    public static void ApplyRegression(ref CandidateBox box)
    {
        var w = box.Width;
        var h = box.Height;
        box.X1 += box.Dx1 * w;
        box.Y1 += box.Dy1 * h;
        box.X2 += box.Dx2 * w;
        box.Y2 += box.Dy2 * h;
        box.Dx1 = box.Dy1 = box.Dx2 = box.Dy2 = 0f;
    }

    /// <summary>Turns the box into the square of side max(w, h) around the same centre (the next network takes square crops).</summary>
    public static void Square(ref CandidateBox box)
    {
        var side = Math.Max(box.Width, box.Height);
        var cx = (box.X1 + box.X2) * 0.5f;
        var cy = (box.Y1 + box.Y2) * 0.5f;
        box.X1 = cx - (side * 0.5f);
        box.Y1 = cy - (side * 0.5f);
        box.X2 = box.X1 + side;
        box.Y2 = box.Y1 + side;
    }

    public static void ApplyRegressionAndSquare(List<CandidateBox> boxes)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(boxes);
        for (var i = 0; i < span.Length; i++)
        {
            ApplyRegression(ref span[i]);
            Square(ref span[i]);
        }
    }
}
