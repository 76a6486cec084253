namespace FaceWatch.Commands.Scenarios;

/// <summary>One probe photo of a person the scenarios paste in; <see cref="Enrolled"/> says whether the gallery knows the person.</summary>
public sealed record CastMember(string Person, string Photo, bool Enrolled);

/// <summary>The probe photos the scenarios draw from, round robin, so neighbouring visits are different people.</summary>
public sealed class ScenarioCast(IReadOnlyList<IReadOnlyList<CastMember>> known, IReadOnlyList<IReadOnlyList<CastMember>> strangers)
{
    public IReadOnlyList<IReadOnlyList<CastMember>> KnownPeople { get; } = known;

    public IReadOnlyList<IReadOnlyList<CastMember>> Strangers { get; } = strangers;

    /// <summary>The i-th enrolled probe: person i mod N, and their next photo each time round.</summary>
    public CastMember Known(int i) => Pick(KnownPeople, i);

    public CastMember Stranger(int i) => Pick(Strangers, i);

    private static CastMember Pick(IReadOnlyList<IReadOnlyList<CastMember>> people, int i)
    {
        var photos = people[i % people.Count];
        return photos[(i / people.Count) % photos.Count];
    }
}

/// <summary>
/// The scenarios of issue 10, on a 640x360 frame (15 fps): every one starts with a second of empty scene (the reader
/// connects) and ends with <see cref="ScenarioRenderer.TailSeconds"/> of it. Times are seconds of the video.
/// </summary>
public static class ScenarioCatalog
{
    public const int Width = 640;
    public const int Height = 360;
    public const double Fps = 15;

    public static readonly string[] Names = ["doorway-cuts", "short-gaps", "walk-through", "crossing", "camera-cut", "long-stay"];

    private static readonly (double X, double Y) Spot = (320, 165);

    public static IReadOnlyList<ScenarioSpec> All(ScenarioCast cast)
    {
        ArgumentNullException.ThrowIfNull(cast);
        var k = 0;
        var u = 0;
        CastMember K() => cast.Known(k++);
        CastMember U() => cast.Stranger(u++);
        return
        [
            DoorwayCuts(K(), K(), U(), K()),
            ShortGaps(K(), K(), U(), K(), K()),
            WalkThrough(K(), K(), U(), K()),
            Crossing(K(), K()),
            CameraCut(K(), K(), U(), K()),
            LongStay(K()),
        ];
    }

    private static SegmentSpec AtSpot(CastMember who, double start, double end, double faceWidth = 96) =>
        new(who.Person, who.Photo, who.Enrolled, start, end, [new Waypoint(start, Spot.X, Spot.Y)], faceWidth);

    /// <summary>Four people at one spot, each cut straight to the next (no gap).</summary>
    private static ScenarioSpec DoorwayCuts(CastMember a, CastMember b, CastMember c, CastMember d) => new(
        "doorway-cuts", "four visits of 4 s at one spot, each cut straight to the next person (no gap); the third is a stranger", 17,
        [AtSpot(a, 1, 5), AtSpot(b, 5, 9), AtSpot(c, 9, 13), AtSpot(d, 13, 17)]);

    /// <summary>Five people at one spot with 0.2, 0.4, 0.6 and 1.0 s of empty scene between them.</summary>
    private static ScenarioSpec ShortGaps(CastMember a, CastMember b, CastMember c, CastMember d, CastMember e) => new(
        "short-gaps", "five visits of 3 s at one spot, 0.2 / 0.4 / 0.6 / 1.0 s of empty scene between them; the third is a stranger", 18.2,
        [AtSpot(a, 1, 4), AtSpot(b, 4.2, 7.2), AtSpot(c, 7.6, 10.6), AtSpot(d, 11.2, 14.2), AtSpot(e, 15.2, 18.2)]);

    /// <summary>People walking across; each enters where the last one just left, 0.1 s later, walking back the other way.</summary>
    private static ScenarioSpec WalkThrough(CastMember a, CastMember b, CastMember c, CastMember d)
    {
        SegmentSpec Walk(CastMember who, double start, bool leftToRight)
        {
            var end = start + 4.5;
            (double X, double Y) left = (110, 170), right = (530, 160);
            var (from, to) = leftToRight ? (left, right) : (right, left);
            return new(who.Person, who.Photo, who.Enrolled, start, end, [new Waypoint(start, from.X, from.Y), new Waypoint(end, to.X, to.Y)], 90);
        }

        return new("walk-through", "four people walk across in turn (4.5 s each); each enters where the last just left, 0.1 s later; the third is a stranger", 19.3,
            [Walk(a, 1, true), Walk(b, 5.6, false), Walk(c, 10.2, true), Walk(d, 14.8, false)]);
    }

    /// <summary>Two people cross (boxes overlap, one passes in front), wait, and cross back.</summary>
    private static ScenarioSpec Crossing(CastMember a, CastMember b) => new(
        "crossing", "two people cross each other twice (boxes overlap for about 0.5 s, the second passes in front), pausing at the ends", 12.5,
        [
            new(a.Person, a.Photo, a.Enrolled, 1, 12.5,
                [new Waypoint(1, 130, 165), new Waypoint(2, 130, 165), new Waypoint(6, 510, 175), new Waypoint(7, 510, 175), new Waypoint(11, 130, 165)], 90),
            new(b.Person, b.Photo, b.Enrolled, 1, 12.5,
                [new Waypoint(1, 510, 180), new Waypoint(2, 510, 180), new Waypoint(6, 130, 170), new Waypoint(7, 130, 170), new Waypoint(11, 510, 180)], 90, Z: 1),
        ]);

    /// <summary>A cut to another scene with another person near the same spot (and a stranger), then a cut back with a third.</summary>
    private static ScenarioSpec CameraCut(CastMember a, CastMember b, CastMember stranger, CastMember c) => new(
        "camera-cut", "scene 1: one person; cut to scene 2: another person near the same spot plus a stranger; cut back to scene 1: a third person at the spot", 15,
        [
            new(a.Person, a.Photo, a.Enrolled, 1, 6, [new Waypoint(1, 300, 160)], 100),
            new(b.Person, b.Photo, b.Enrolled, 6, 11, [new Waypoint(6, 315, 170)], 104, Scene: 1),
            new(stranger.Person, stranger.Photo, stranger.Enrolled, 6, 11, [new Waypoint(6, 505, 200)], 88, Scene: 1),
            new(c.Person, c.Photo, c.Enrolled, 11, 15, [new Waypoint(11, 305, 165)], 100),
        ],
        [new SceneSpan(0, 0), new SceneSpan(6, 1), new SceneSpan(11, 0)]);

    /// <summary>One person for 28 s, wandering and coming closer: one visit, one arrived, one left.</summary>
    private static ScenarioSpec LongStay(CastMember a) => new(
        "long-stay", "one person stays 28 s, wandering about and coming closer and back: must stay one visit", 29,
        [
            new(a.Person, a.Photo, a.Enrolled, 1, 29,
                [new Waypoint(1, 320, 165), new Waypoint(8, 260, 170), new Waypoint(15, 380, 160, 1.2), new Waypoint(22, 330, 175, 0.9), new Waypoint(29, 320, 165)], 96),
        ]);
}
