namespace FaceWatch.Commands.Scenarios;

/// <summary>
/// The "fixed-camera" set (issue 13): one video of a door or hall camera at 1280x720, 15 fps, 74 s. A still
/// background; people walk in from the left or right edge, stand 3 to 6 s at a spot and walk out, faces about 70 to
/// 120 px wide (they grow as they come closer), at most two on screen. The first 10 s and 10.5 s between the three
/// groups of visits are empty scene (<see cref="ScenarioTruth.Idle"/>: 42 % of the video; 44 % with the empty tail).
/// Times are seconds of the video.
/// </summary>
public static class FixedCameraCatalog
{
    public const int Width = 1280;
    public const int Height = 720;
    public const double Fps = 15;

    public const string Name = "fixed-camera";

    public static readonly string[] Names = [Name];

    // Walking in from the edge to the spot, and back out; the edge is where the face's centre starts, the head half in view.
    private const double WalkIn = 2;
    private const double WalkOut = 1.5;
    private const double LeftEdge = -40;
    private const double RightEdge = Width + 40;

    // Farther away at the edge: smaller and a little lower than at the spot.
    private const double EdgeScale = 0.85;
    private const double EdgeDrop = 20;

    /// <summary>
    /// Three groups of visits after 10 or 10.5 s of empty scene each: enrolled, stranger, enrolled; enrolled, enrolled, stranger;
    /// stranger, enrolled (who leaves across the frame). In a group the next person comes in while the one before stands,
    /// never more than two at once, at spots 400 px apart.
    /// </summary>
    public static IReadOnlyList<ScenarioSpec> All(ScenarioCast cast)
    {
        ArgumentNullException.ThrowIfNull(cast);
        var k = 0;
        var u = 0;
        CastMember K() => cast.Known(k++);
        CastMember U() => cast.Stranger(u++);
        return
        [
            new(Name, "a door camera: three groups of people walk in from the left or right edge, stand 3-6 s and walk out (faces 70-120 px, " +
                "at most two at once), after 10-10.5 s of empty scene each; 5 enrolled visits, 3 strangers", 72.5,
            [
                Visit(K(), 10, fromLeft: true, 400, 330, stand: 4, 96),
                Visit(U(), 13, fromLeft: false, 880, 350, stand: 5, 104),
                Visit(K(), 17.5, fromLeft: true, 440, 320, stand: 3, 84),

                Visit(K(), 34.5, fromLeft: false, 820, 330, stand: 4, 112),
                Visit(K(), 37.5, fromLeft: true, 420, 350, stand: 5, 90),
                Visit(U(), 42, fromLeft: false, 860, 320, stand: 3, 100),

                Visit(U(), 59, fromLeft: true, 400, 340, stand: 4, 88),
                Visit(K(), 62, fromLeft: false, 860, 330, stand: 6, 108, outLeft: true, outSeconds: 2.5),
            ]),
        ];
    }

    /// <summary>
    /// In from an edge to (<paramref name="x"/>, <paramref name="y"/>), standing <paramref name="stand"/> s, and out to the
    /// same edge (or across the frame to the other: <paramref name="outLeft"/>).
    /// </summary>
    private static SegmentSpec Visit(CastMember who, double start, bool fromLeft, double x, double y, double stand, double faceWidth,
        bool? outLeft = null, double outSeconds = WalkOut)
    {
        var arrive = start + WalkIn;
        var leave = arrive + stand;
        var end = leave + outSeconds;
        var exit = (outLeft ?? fromLeft) ? LeftEdge : RightEdge;
        return new SegmentSpec(who.Person, who.Photo, who.Enrolled, start, end,
        [
            new Waypoint(start, fromLeft ? LeftEdge : RightEdge, y + EdgeDrop, EdgeScale),
            new Waypoint(arrive, x, y),
            new Waypoint(leave, x, y),
            new Waypoint(end, exit, y + EdgeDrop, EdgeScale),
        ], faceWidth);
    }
}
