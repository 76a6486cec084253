using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using OpenCvSharp;

namespace FaceWatch.Commands.Scenarios;

/// <summary>
/// Renders a <see cref="ScenarioSpec"/> into an H.264 MP4 (raw BGR frames piped to the <c>ffmpeg</c> command) and
/// its <see cref="ScenarioTruth"/>: every frame is a still background, the heads of the visible segments blended in
/// (moving a little), and the frame number stamped in the corner (<see cref="FrameStamp"/>).
/// </summary>
public static class ScenarioRenderer
{
    /// <summary>Empty background after the last visit, so tracks end inside the stream.</summary>
    public const double TailSeconds = 1.5;

    // A face less than this much inside the frame, or more than OccludedShare hidden behind a face drawn over it, is "ignore".
    private const double MinVisibleShare = 0.9;
    private const double OccludedShare = 0.35;

    public static async Task<ScenarioTruth> RenderAsync(
        ScenarioSpec spec, IReadOnlyList<Mat> backgrounds, Func<SegmentSpec, FaceSprite> spriteOf, string videoPath, double fps, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(backgrounds);
        ArgumentNullException.ThrowIfNull(spriteOf);
        var width = backgrounds[0].Width;
        var height = backgrounds[0].Height;
        var frameCount = (int)Math.Ceiling((spec.Seconds + TailSeconds) * fps);
        var ordered = spec.Segments.Select((s, i) => (Spec: s, Id: i)).OrderBy(s => s.Spec.Z).ThenBy(s => s.Id).ToArray();
        var boxes = spec.Segments.Select(_ => new List<BoxTruth>()).ToArray();
        var cuts = new List<int>();
        var tmp = videoPath + ".tmp.mp4";
        var start = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", $"{width}x{height}",
            "-r", fps.ToString(CultureInfo.InvariantCulture), "-i", "-",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", ((int)Math.Round(fps)).ToString(CultureInfo.InvariantCulture),
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", tmp,
        })
        {
            start.ArgumentList.Add(arg);
        }

        using var ffmpeg = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start");
        var errors = ffmpeg.StandardError.ReadToEndAsync(ct);
        var buffer = new byte[width * height * 3];
        var previousScene = -1;
        try
        {
            var input = ffmpeg.StandardInput.BaseStream;
            for (var f = 0; f < frameCount; f++)
            {
                ct.ThrowIfCancellationRequested();
                var t = f / fps;
                var scene = SceneAt(spec, t);
                if (previousScene >= 0 && scene != previousScene)
                {
                    cuts.Add(f);
                }

                previousScene = scene;
                using var frame = backgrounds[scene].Clone();
                var drawn = new List<(int Id, Rect2f Face)>();
                foreach (var (segment, id) in ordered)
                {
                    if (t < segment.Start || t >= segment.End)
                    {
                        continue;
                    }

                    var sprite = spriteOf(segment);
                    var (centre, scale) = Place(segment, id, t);
                    sprite.Draw(frame, centre, scale);
                    drawn.Add((id, sprite.FaceBoxAt(centre, scale)));
                }

                for (var i = 0; i < drawn.Count; i++)
                {
                    var (id, face) = drawn[i];
                    var inside = Area(Intersect(face, new Rect2f(0, 0, width, height))) / Area(face);
                    var hidden = drawn.Skip(i + 1).Select(d => Area(Intersect(face, Grow(d.Face, 1.3f))) / Area(face)).DefaultIfEmpty(0).Max();
                    var clipped = Intersect(face, new Rect2f(0, 0, width, height));
                    boxes[id].Add(new BoxTruth(f, (int)Math.Round(clipped.X), (int)Math.Round(clipped.Y), (int)Math.Round(clipped.Width), (int)Math.Round(clipped.Height),
                        inside < MinVisibleShare || hidden > OccludedShare));
                }

                FrameStamp.Draw(frame, f);
                Marshal.Copy(frame.Data, buffer, 0, buffer.Length);
                await input.WriteAsync(buffer, ct).ConfigureAwait(false);
            }

            ffmpeg.StandardInput.Close();
            await ffmpeg.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            if (!ffmpeg.HasExited)
            {
                ffmpeg.Kill();
            }

            throw;
        }

        var error = await errors.ConfigureAwait(false);
        if (ffmpeg.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg failed ({ffmpeg.ExitCode}) writing '{videoPath}': {error.Trim()}");
        }

        File.Move(tmp, videoPath, overwrite: true);
        var segments = spec.Segments.Select((s, i) => new SegmentTruth
        {
            Id = i,
            Person = s.Person,
            Enrolled = s.Enrolled,
            Expected = s.Enrolled ? s.Person : Pipeline.Identification.IdentityMatch.Unknown,
            Photo = s.Photo,
            Start = s.Start,
            End = s.End,
            FirstFrame = boxes[i].Count > 0 ? boxes[i][0].Frame : 0,
            LastFrame = boxes[i].Count > 0 ? boxes[i][^1].Frame : -1,
            Boxes = boxes[i],
        }).ToArray();
        return new ScenarioTruth
        {
            Name = spec.Name,
            Description = spec.Description,
            Video = Path.GetFileName(videoPath),
            VideoPath = Path.GetFullPath(videoPath),
            Width = width,
            Height = height,
            Fps = fps,
            FrameCount = frameCount,
            Cuts = cuts,
            Segments = segments,
        };
    }

    /// <summary>Face centre and scale of a segment at time <paramref name="t"/>: its path, plus a slow drift and scale jitter (no frozen stills).</summary>
    public static (Point2d Centre, double Scale) Place(SegmentSpec segment, int id, double t)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var path = segment.Path;
        Waypoint a = path[0], b = path[0];
        if (t >= path[^1].T)
        {
            a = b = path[^1];
        }
        else
        {
            for (var i = 0; i < path.Count - 1; i++)
            {
                if (t >= path[i].T && t < path[i + 1].T)
                {
                    (a, b) = (path[i], path[i + 1]);
                    break;
                }
            }
        }

        var u = b.T > a.T ? Math.Clamp((t - a.T) / (b.T - a.T), 0, 1) : 0;
        var phase = id * 1.7;
        var x = a.X + ((b.X - a.X) * u) + (3 * Math.Sin((2 * Math.PI * t / 2.3) + phase));
        var y = a.Y + ((b.Y - a.Y) * u) + (2 * Math.Sin((2 * Math.PI * t / 3.1) + phase));
        var scale = (a.Scale + ((b.Scale - a.Scale) * u)) * (1 + (0.03 * Math.Sin((2 * Math.PI * t / 2.7) + phase)));
        return (new Point2d(x, y), scale);
    }

    private static int SceneAt(ScenarioSpec spec, double t)
    {
        var scene = 0;
        foreach (var span in spec.Scenes ?? [])
        {
            if (t >= span.Start)
            {
                scene = span.Scene;
            }
        }

        return scene;
    }

    private static float Area(Rect2f r) => Math.Max(0, r.Width) * Math.Max(0, r.Height);

    private static Rect2f Intersect(Rect2f a, Rect2f b)
    {
        var x = Math.Max(a.X, b.X);
        var y = Math.Max(a.Y, b.Y);
        var r = Math.Min(a.X + a.Width, b.X + b.Width);
        var btm = Math.Min(a.Y + a.Height, b.Y + b.Height);
        return new Rect2f(x, y, Math.Max(0, r - x), Math.Max(0, btm - y));
    }

    private static Rect2f Grow(Rect2f r, float k) =>
        new(r.X - (r.Width * (k - 1) / 2), r.Y - (r.Height * (k - 1) / 2), r.Width * k, r.Height * k);
}
