using System.Text.Json;
using System.Text.Json.Serialization;

using FaceWatch.Pipeline.Capture;
namespace FaceWatch.Commands.Scenarios;

/// <summary>Where a face's centre is at scenario time <paramref name="T"/> (seconds), and its size relative to the segment's face width.</summary>
public sealed record Waypoint(double T, double X, double Y, double Scale = 1);

/// <summary>
/// One visit of a scenario: a photo of <paramref name="Person"/> pasted from <paramref name="Start"/> to <paramref name="End"/>
/// (seconds) on scene <paramref name="Scene"/>, moving through <paramref name="Path"/> (linear between waypoints, plus a small
/// drift and scale jitter). Higher <paramref name="Z"/> is drawn on top (crossings).
/// </summary>
public sealed record SegmentSpec(string Person, string Photo, bool Enrolled, double Start, double End, IReadOnlyList<Waypoint> Path,
    double FaceWidth = 96, int Scene = 0, int Z = 0);

/// <summary>From <paramref name="Start"/> (seconds) the background is scene <paramref name="Scene"/>; a change of scene is a camera cut.</summary>
public sealed record SceneSpan(double Start, int Scene);

/// <summary>A synthetic stream: its visits, its scene changes and how long it runs (an empty tail follows).</summary>
public sealed record ScenarioSpec(string Name, string Description, double Seconds, IReadOnlyList<SegmentSpec> Segments, IReadOnlyList<SceneSpan>? Scenes = null);

/// <summary>Where the face of a segment is in one frame. <see cref="Ignore"/>: mostly hidden (behind another face) or cut by the frame edge, so neither a hit nor a miss counts.</summary>
public sealed record BoxTruth(int Frame, int X, int Y, int W, int H, bool Ignore)
{
    public OpenCvSharp.Rect2f Rect => new(X, Y, W, H);
}

/// <summary>The ground truth of one visit: who (and whether enrolled), when, and the face box in every frame it is on screen.</summary>
public sealed record SegmentTruth
{
    public required int Id { get; init; }

    public required string Person { get; init; }

    public required bool Enrolled { get; init; }

    /// <summary>What the daemon should call this face: the person when enrolled, else <c>unknown</c>.</summary>
    public required string Expected { get; init; }

    public required string Photo { get; init; }

    public required double Start { get; init; }

    public required double End { get; init; }

    public required int FirstFrame { get; init; }

    public required int LastFrame { get; init; }

    public required IReadOnlyList<BoxTruth> Boxes { get; init; }

    [JsonIgnore]
    public double Seconds => End - Start;
}

/// <summary>
/// A stretch of the video with nobody on screen (no segment drawn), frames <see cref="FirstFrame"/> to
/// <see cref="LastFrame"/> inclusive; <see cref="Start"/> and <see cref="End"/> in seconds of the video (end exclusive).
/// </summary>
public sealed record IdleSpan(int FirstFrame, int LastFrame, double Start, double End)
{
    /// <summary>Only stretches this long count as idle: long enough that a motion-gated detector should be skipped there.</summary>
    public const double MinSeconds = 8;

    public bool Contains(int frame) => frame >= FirstFrame && frame <= LastFrame;
}

/// <summary>The ground truth written beside a scenario's video (<c>NAME.json</c> beside <c>NAME.mp4</c>).</summary>
public sealed record ScenarioTruth
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>The video's file name (same folder as the JSON).</summary>
    public required string Video { get; init; }

    public required int Width { get; init; }

    public required int Height { get; init; }

    public required double Fps { get; init; }

    public required int FrameCount { get; init; }

    /// <summary>Frames at which the scene changes (camera cuts), the first frame of the new scene.</summary>
    public required IReadOnlyList<int> Cuts { get; init; }

    public required IReadOnlyList<SegmentTruth> Segments { get; init; }

    /// <summary>
    /// The stretches of at least <see cref="IdleSpan.MinSeconds"/> with nobody on screen (the empty tail included),
    /// derived from <see cref="Segments"/>: written into the JSON for readers, not read back.
    /// </summary>
    public IReadOnlyList<IdleSpan> Idle
    {
        get
        {
            var busy = new bool[FrameCount];
            foreach (var s in Segments)
            {
                for (var f = Math.Max(0, s.FirstFrame); f <= Math.Min(FrameCount - 1, s.LastFrame); f++)
                {
                    busy[f] = true;
                }
            }

            var spans = new List<IdleSpan>();
            for (var f = 0; f < FrameCount; f++)
            {
                if (busy[f])
                {
                    continue;
                }

                var first = f;
                while (f + 1 < FrameCount && !busy[f + 1])
                {
                    f++;
                }

                if ((f + 1 - first) / Fps >= IdleSpan.MinSeconds)
                {
                    spans.Add(new IdleSpan(first, f, Math.Round(first / Fps, 3), Math.Round((f + 1) / Fps, 3)));
                }
            }

            return spans;
        }
    }

    /// <summary>Full path of the video once loaded (not stored).</summary>
    [JsonIgnore]
    public string VideoPath { get; init; } = "";

    [JsonIgnore]
    public double Seconds => FrameCount / Fps;

    public static ScenarioTruth Load(string jsonPath)
    {
        var truth = JsonSerializer.Deserialize<ScenarioTruth>(File.ReadAllText(jsonPath), Json)
            ?? throw new InvalidDataException($"'{jsonPath}' holds no scenario.");
        return truth with { VideoPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!, truth.Video) };
    }

    public void Save(string jsonPath) => File.WriteAllText(jsonPath, JsonSerializer.Serialize(this, Json));

    /// <summary>The truth boxes in frame <paramref name="frame"/>, with the segment each belongs to.</summary>
    public IEnumerable<(SegmentTruth Segment, BoxTruth Box)> At(int frame)
    {
        foreach (var segment in Segments)
        {
            if (frame < segment.FirstFrame || frame > segment.LastFrame)
            {
                continue;
            }

            var i = frame - segment.FirstFrame;
            if (i < segment.Boxes.Count && segment.Boxes[i].Frame == frame)
            {
                yield return (segment, segment.Boxes[i]);
            }
        }
    }
}
