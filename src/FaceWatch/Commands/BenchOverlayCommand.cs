using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.LiveView;
using OpenCvSharp;

using FaceWatch.Core.Health;
namespace FaceWatch.Commands;

/// <summary>
/// <c>facewatch bench overlay</c>: what the live views cost. The pipeline pays only the copy in
/// <see cref="IFrameAnnotationSink.Post"/>; drawing and JPEG encoding run on the views' own threads.
/// </summary>
internal static class BenchOverlayCommand
{
    private const string DefaultVideo = "../shared/data/video/short_hamilton_clip.mp4";

    public static Command Create()
    {
        var video = new Option<string>("--video") { Description = "Video whose frames are drawn on.", DefaultValueFactory = _ => DefaultVideo };
        var frames = new Option<int>("--frames") { Description = "Frames per size.", DefaultValueFactory = _ => 200 };
        var sizes = new Option<string[]>("--size")
        {
            Description = "Frame sizes WxH (the video is resized).",
            DefaultValueFactory = _ => ["640x360", "1280x720", "1920x1080"],
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("overlay", "Overlay drawing, frame copy (what the pipeline pays per view) and JPEG encoding: ms per frame (median, p90).");
        command.Options.Add(video);
        command.Options.Add(frames);
        command.Options.Add(sizes);
        command.SetAction(parseResult =>
        {
            var path = parseResult.GetValue(video)!;
            using var capture = new VideoCapture(path);
            if (!capture.IsOpened())
            {
                Console.Error.WriteLine($"bench overlay: cannot open video '{path}'");
                return 1;
            }

            var source = new List<Mat>();
            try
            {
                for (var i = 0; i < parseResult.GetValue(frames); i++)
                {
                    var m = new Mat();
                    if (!capture.Read(m) || m.Empty())
                    {
                        m.Dispose();
                        capture.Set(VideoCaptureProperties.PosFrames, 0);
                        continue;
                    }

                    source.Add(m);
                }

                Console.WriteLine($"{"size",-10} {"copy (Post)",14} {"draw",14} {"jpeg q80",14}   ms median / p90 over {source.Count} frames, 3 tracks");
                foreach (var size in parseResult.GetValue(sizes)!)
                {
                    var parts = size.Split('x');
                    var (w, h) = (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
                    Run(source, w, h);
                }
            }
            finally
            {
                foreach (var m in source)
                {
                    m.Dispose();
                }
            }

            return 0;
        });
        return command;
    }

    private static void Run(List<Mat> source, int width, int height)
    {
        var sx = width / 640f;
        var sy = height / 360f;
        TrackOverlay[] tracks =
        [
            new(1, new Rect2f(280 * sx, 60 * sy, 90 * sx, 110 * sy), [new(300 * sx, 100 * sy), new(340 * sx, 100 * sy), new(320 * sx, 120 * sy), new(305 * sx, 140 * sy), new(335 * sx, 140 * sy)], "lin_manuel_miranda", true, 0.87),
            new(2, new Rect2f(40 * sx, 200 * sy, 60 * sx, 70 * sy), null, "unknown", false, 0.31),
            new(3, new Rect2f(500 * sx, 150 * sy, 50 * sx, 60 * sy), null, null, false, 0),
        ];
        var health = new CameraHealth("bench", true, 1, 0, 0, 25, null, TimeProvider.System.GetUtcNow());
        var copy = new List<double>();
        var draw = new List<double>();
        var jpeg = new List<double>();
        var encodeParams = new[] { new ImageEncodingParam(ImwriteFlags.JpegQuality, 80) };
        long sequence = 0;
        foreach (var src in source)
        {
#pragma warning disable CA2000 // the frame owns its Mat and is disposed by the using
            using var frame = new Frame("bench", ++sequence, new Mat(), TimeProvider.System.GetUtcNow(), 0);
#pragma warning restore CA2000
            Cv2.Resize(src, frame.Image, new Size(width, height));

            var t0 = Stopwatch.GetTimestamp();
            using var copied = AnnotatedFrame.CopyOf(frame, tracks, health);
            var t1 = Stopwatch.GetTimestamp();
            OverlayRenderer.Draw(copied.Image, copied.Tracks, copied.Health, "bench");
            var t2 = Stopwatch.GetTimestamp();
            Cv2.ImEncode(".jpg", copied.Image, out _, encodeParams);
            var t3 = Stopwatch.GetTimestamp();
            copy.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
            draw.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
            jpeg.Add(Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{$"{width}x{height}",-10} {Stat(copy),14} {Stat(draw),14} {Stat(jpeg),14}"));
    }

    private static string Stat(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return string.Create(CultureInfo.InvariantCulture, $"{sorted[sorted.Length / 2]:0.000} / {sorted[(int)(sorted.Length * 0.9)]:0.000}");
    }
}
