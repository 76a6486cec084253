namespace FaceWatch.Commands.Scenarios;

/// <summary>
/// The "stranger-returns" set (issue 15, strangers remembered and grouped): one 640x360 video at 15 fps, 26.5 s. Three
/// strangers (people of the LFW calibration photos, not enrolled) come three times each, every time from another photo
/// (another day, light and age), 4 s at their own spot, a new visit every 2.5 s (so two strangers are on screen at once,
/// never the same one twice); between them enrolled people come and go at a fourth spot. Times are seconds of the video.
/// </summary>
public static class StrangerReturnCatalog
{
    public const string Name = "stranger-returns";

    public const int Strangers = 3;

    public const int VisitsPerStranger = 3;

    public static readonly string[] Names = [Name];

    /// <summary>Candidate photos per stranger (the set builder casts those with one clear face that the gallery calls unknown), paths relative to the data folder.</summary>
    public static readonly IReadOnlyList<(string Person, string[] Photos)> Photos =
    [
        Lfw("Colin_Powell", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
        Lfw("Junichiro_Koizumi", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
        Lfw("Serena_Williams", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
    ];

    // The strangers' spots (one each) and the enrolled people's, far enough apart that boxes never touch.
    private static readonly double[] StrangerX = [80, 400, 560];
    private const double EnrolledX = 240;

    public static IReadOnlyList<ScenarioSpec> All(ScenarioCast cast)
    {
        ArgumentNullException.ThrowIfNull(cast);
        if (cast.Strangers.Count != Strangers)
        {
            throw new InvalidDataException($"{Name} needs {Strangers} strangers with usable photos, the cast has {cast.Strangers.Count}");
        }

        var segments = new List<SegmentSpec>();
        for (var i = 0; i < Strangers * VisitsPerStranger; i++)
        {
            // Stranger i mod 3 with their (i / 3)-th photo (ScenarioCast's round robin).
            var who = cast.Stranger(i);
            var start = 1 + (2.5 * i);
            segments.Add(At(who, start, start + 4, StrangerX[i % Strangers], 165 + (10 * (i % 2)), 92 + (4 * (i / Strangers))));
        }

        for (var k = 0; k < 4; k++)
        {
            var start = 2 + (6 * k);
            segments.Add(At(cast.Known(k), start, start + 4, EnrolledX, 175, 96));
        }

        return
        [
            new(Name, "three strangers come back three times each (another photo every time, 4 s at their own spot, a new visit every 2.5 s); " +
                "four enrolled visits at a fourth spot in between", 25, segments),
        ];
    }

    private static SegmentSpec At(CastMember who, double start, double end, double x, double y, double faceWidth) =>
        new(who.Person, who.Photo, who.Enrolled, start, end, [new Waypoint(start, x, y), new Waypoint(end, x + 8, y - 4)], faceWidth);

    private static (string, string[]) Lfw(string person, params int[] numbers) =>
        (person.ToLowerInvariant(), [.. numbers.Select(n => $"calibration/lfw/{person}/{person}_{n:0000}.jpg")]);
}
