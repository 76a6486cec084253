namespace FaceWatch.Commands.Scenarios;

/// <summary>
/// The videos of the "small-faces" set (issue 11): a ceiling camera at 1280x720, 15 fps, faces 44 to 64 px wide, people
/// walking across or stopping at a spot, one or two on screen at a time. <see cref="Plan"/> gives the visits with
/// placeholder people (<c>K0</c>..<c>K11</c> enrolled, <c>U0</c>..<c>U11</c> strangers, no photos yet);
/// <see cref="SmallFaceSetBuilder"/> casts a probe photo into every slot. Times are seconds of the video.
/// </summary>
public static class SmallFaceCatalog
{
    public const int Width = 1280;
    public const int Height = 720;
    public const double Fps = 15;

    public static readonly string[] Names = ["ceiling-walks", "ceiling-stops", "ceiling-mixed"];

    /// <summary>Enrolled visits in the plan (slot <c>K</c>i); person i mod <see cref="SmallFaceSetBuilder.EnrolledPeople"/>.</summary>
    public const int EnrolledVisits = 12;

    /// <summary>Stranger visits in the plan (slot <c>U</c>i), each a different person.</summary>
    public const int StrangerVisits = 12;

    // A walk crosses the whole frame in this long (about 230 px/s); a stop walks in, stands, walks back out.
    private const double WalkSeconds = 5;
    private const double StepSeconds = 1.5;
    private const double StandSeconds = 2.5;

    // Face centres: walks run between these x; stops come in from above or below the frame's edge rows.
    private const double LeftX = 70;
    private const double RightX = 1210;
    private const double TopY = 60;
    private const double BottomY = 650;

    /// <summary>True for a slot name of an enrolled visit (<c>K</c>i), false for a stranger's (<c>U</c>i).</summary>
    public static bool IsEnrolledSlot(string slot) => slot.StartsWith('K');

    /// <summary>The slot's number (i of <c>K</c>i or <c>U</c>i).</summary>
    public static int SlotIndex(string slot) => int.Parse(slot.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The three videos. Face widths (44, 50, 56, 64 px) are spread so each size has three enrolled and three stranger
    /// visits and every enrolled person is seen at two sizes. Lanes and spots keep two people on screen apart (no overlap).
    /// </summary>
    public static IReadOnlyList<ScenarioSpec> Plan() =>
    [
        new("ceiling-walks", "eight people walk across the frame (5 s each), a new one every 2.5 s, two on screen at a time in different lanes; enrolled people left to right, strangers back", 23.5,
        [
            Walk("K0", 1.0, true, 170, 44),
            Walk("U0", 3.5, false, 600, 56),
            Walk("K1", 6.0, true, 170, 64),
            Walk("U1", 8.5, false, 600, 50),
            Walk("K2", 11.0, true, 400, 56),
            Walk("U2", 13.5, false, 170, 44),
            Walk("K3", 16.0, true, 600, 50),
            Walk("U3", 18.5, false, 400, 64),
        ]),
        new("ceiling-stops", "eight people come in from the top or bottom edge, stand 2.5 s at a spot and go back out (5.5 s each), a new one every 2.5 s", 24,
        [
            Stop("K4", 1.0, 380, 320, fromTop: true, 50),
            Stop("U4", 3.5, 900, 420, fromTop: false, 64),
            Stop("K5", 6.0, 420, 420, fromTop: false, 44),
            Stop("U5", 8.5, 880, 300, fromTop: true, 56),
            Stop("K6", 11.0, 360, 300, fromTop: true, 56),
            Stop("U6", 13.5, 920, 460, fromTop: false, 44),
            Stop("K7", 16.0, 400, 440, fromTop: false, 50),
            Stop("U7", 18.5, 860, 260, fromTop: true, 50),
        ]),
        new("ceiling-mixed", "walks and stops in turn, a new person every 2.5 s, two on screen at a time", 23.5,
        [
            Walk("K8", 1.0, true, 420, 64),
            Stop("U8", 3.5, 880, 200, fromTop: true, 44),
            Stop("K9", 6.0, 360, 480, fromTop: false, 56),
            Walk("U9", 8.5, false, 200, 50),
            Walk("K10", 11.0, false, 600, 44),
            Stop("U10", 13.5, 900, 440, fromTop: false, 64),
            Stop("K11", 16.0, 420, 260, fromTop: true, 64),
            Walk("U11", 18.5, true, 560, 56),
        ]),
    ];

    private static SegmentSpec Slot(string slot, double start, double end, IReadOnlyList<Waypoint> path, double faceWidth) =>
        new(slot, "", IsEnrolledSlot(slot), start, end, path, faceWidth);

    /// <summary>Across the frame at height <paramref name="y"/> (a slight slope: people do not walk along a ruler).</summary>
    private static SegmentSpec Walk(string slot, double start, bool leftToRight, double y, double faceWidth)
    {
        var end = start + WalkSeconds;
        var (from, to) = leftToRight ? (LeftX, RightX) : (RightX, LeftX);
        return Slot(slot, start, end, [new Waypoint(start, from, y - 15), new Waypoint(end, to, y + 15)], faceWidth);
    }

    /// <summary>In from the top or bottom edge to (<paramref name="x"/>, <paramref name="y"/>), standing there, and back out the same way.</summary>
    private static SegmentSpec Stop(string slot, double start, double x, double y, bool fromTop, double faceWidth)
    {
        var edge = fromTop ? TopY : BottomY;
        var arrive = start + StepSeconds;
        var leave = arrive + StandSeconds;
        var end = leave + StepSeconds;
        return Slot(slot, start, end,
            [new Waypoint(start, x - 20, edge), new Waypoint(arrive, x, y), new Waypoint(leave, x, y), new Waypoint(end, x + 20, edge)], faceWidth);
    }
}
