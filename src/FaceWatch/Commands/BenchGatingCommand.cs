using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Tracking;
using OpenCvSharp;

using FaceWatch.Pipeline.Motion;
namespace FaceWatch.Commands;

/// <summary>
/// <c>facewatch bench gating</c>: one camera's detection on the frames of a video, a full scan of every frame and the
/// gated detector (motion, tracks, periodic full scans) side by side on the same frame, one after the other in one
/// thread. Prints medians and means of detector milliseconds per frame, the scans the gate chose, and what the gate
/// missed: faces of the full scan with no gated face on them, and after how many frames the gate found them.
/// </summary>
internal static class BenchGatingCommand
{
    public static Command Create()
    {
        var clip = new Option<string>("--clip") { Description = "Video file to read.", DefaultValueFactory = _ => "demo/short_hamilton_clip.mp4" };
        var size = new Option<string>("--size") { Description = "Frame size WxH the video is scaled to.", DefaultValueFactory = _ => "1280x720" };
        var fps = new Option<double>("--fps") { Description = "Frames per second processed (DetectFps): frames between are passed over.", DefaultValueFactory = _ => 15 };
        var loops = new Option<int>("--loops") { Description = "Times the video is played.", DefaultValueFactory = _ => 2 };
        var minFace = new Option<int>("--min-face") { Description = "Cameras:N:MinFaceSize.", DefaultValueFactory = _ => 40 };
        var mask = new Option<string[]>("--mask") { Description = "Motion masks X,Y,W,H in fractions of the frame (e.g. the frame-number strip of a scenario video).", AllowMultipleArgumentsPerToken = true };
        var verbose = new Option<bool>("--verbose") { Description = "Print every frame's plan (regions and their minimum faces) and times." };
        var command = new Command("gating", "Gated vs full-frame detection on the same frames of a video: ms per frame, scans, and the faces the gate missed.");
        command.Options.Add(clip);
        command.Options.Add(size);
        command.Options.Add(fps);
        command.Options.Add(loops);
        command.Options.Add(minFace);
        command.Options.Add(mask);
        command.Options.Add(verbose);
        command.SetAction((parseResult, ct) => Task.FromResult(Run(
            parseResult.GetValue(CommonOptions.Config),
            parseResult.GetValue(clip)!,
            parseResult.GetValue(size)!,
            parseResult.GetValue(fps),
            Math.Max(1, parseResult.GetValue(loops)),
            parseResult.GetValue(minFace),
            parseResult.GetValue(mask) ?? [],
            parseResult.GetValue(verbose),
            ct)));
        return command;
    }

    private static int Run(string? config, string clip, string sizeText, double fps, int loops, int minFace, string[] maskTexts, bool verbose, CancellationToken ct)
    {
        var parts = sizeText.Split('x', 'X');
        if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var width) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var height))
        {
            Console.Error.WriteLine($"bench gating: --size '{sizeText}' is not WxH.");
            return 2;
        }

        var masks = new List<MotionMask>();
        foreach (var text in maskTexts)
        {
            var v = text.Split(',').Select(p => double.TryParse(p, CultureInfo.InvariantCulture, out var d) ? d : double.NaN).ToArray();
            if (v.Length != 4 || v.Any(double.IsNaN))
            {
                Console.Error.WriteLine($"bench gating: --mask '{text}' is not X,Y,W,H.");
                return 2;
            }

            masks.Add(new MotionMask { X = v[0], Y = v[1], Width = v[2], Height = v[3] });
        }

        if (!File.Exists(clip))
        {
            Console.Error.WriteLine($"bench gating: video '{clip}' does not exist.");
            return 2;
        }

        // One thread everywhere (ONNX Runtime and OpenCV): CPU time per frame is then what a detection costs, whatever else runs.
        Cv2.SetNumThreads(1);
        using var detector = DetectorSetup.Create(config, o => o.Threads = 1);
        var camera = new CameraOptions { Name = "bench", Source = clip, MinFaceSize = minFace, MotionMasks = masks };
        var frequency = Stopwatch.Frequency;
        using var full = new CameraDetector(detector, new GatingOptions { Enabled = false }, camera, 720, frequency);
        using var gated = new CameraDetector(detector, new GatingOptions(), camera, 720, frequency);
        var tracker = new FaceTracker(new TrackingOptions(), TimeProvider.System);
        var cuts = new ShotCutDetector(new TrackingOptions());

        var fullMs = new List<double>();
        var gatedMs = new List<double>();
        var fullCpu = new List<double>();
        var gatedCpu = new List<double>();
        var scans = new Dictionary<string, (int Frames, double Ms, double Cpu)>();
        int fullFaces = 0, found = 0, frameIndex = 0;
        var missedStreak = new Dictionary<int, int>();
        var missesByReason = new Dictionary<string, int>();
        var longestMiss = 0;
        var period = 1 / fps;
        var t = 0.0;
        using var decoded = new Mat();
        using var frame = new Mat();
        Console.WriteLine($"bench gating: {Path.GetFileName(clip)} at {width}x{height}, {fps:0.#} fps processed, {loops} loop(s), min face {minFace}, 1 ORT thread, full scan and gated on the same frames");
        for (var loop = 0; loop < loops; loop++)
        {
            using var capture = new VideoCapture(clip);
            var sourceFps = capture.Fps > 0 ? capture.Fps : 25;
            var next = 0.0;
            for (var i = 0; capture.Read(decoded) && !decoded.Empty(); i++)
            {
                ct.ThrowIfCancellationRequested();
                var at = i / sourceFps;
                if (at + 1e-6 < next)
                {
                    continue;
                }

                next += period;
                t += period;
                Cv2.Resize(decoded, frame, new Size(width, height), 0, 0, InterpolationFlags.Linear);
                var timestamp = (long)(t * frequency);

                var cpu0 = BenchCommand.ProcessCpu.Now();
                var reference = full.Detect(frame, timestamp, [], false);
                var cpu1 = BenchCommand.ProcessCpu.Now();
                fullMs.Add(reference.Milliseconds);
                fullCpu.Add((cpu1 - cpu0).TotalMilliseconds);

                var cut = cuts.Observe(frame);
                var cpu2 = BenchCommand.ProcessCpu.Now();
                var result = gated.Detect(frame, timestamp, tracker.Predicted(timestamp), cut);
                gatedCpu.Add((BenchCommand.ProcessCpu.Now() - cpu2).TotalMilliseconds);
                tracker.Update(result.Faces, timestamp, DateTimeOffset.UnixEpoch.AddSeconds(t), cut);
                gatedMs.Add(result.Milliseconds);
                var key = $"{result.Plan.Kind.ToString().ToLowerInvariant()} ({result.Plan.Reason})";
                if (verbose)
                {
                    // The same regions again, timed by stage.
                    var stages = new LastTimings();
                    if (result.Plan.Kind == ScanKind.Regions)
                    {
                        detector.DetectIn(frame, result.Plan.Regions, result.Plan.Refind, stages);
                    }

                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{frameIndex,5} full {reference.Milliseconds,6:0.0} ms {reference.Faces.Count} face(s) | gated {result.Milliseconds,6:0.0} ms {result.Faces.Count} face(s) {key} motion {result.Motion.Share:P1} {string.Join(" ", result.Plan.Regions.Select(r => $"[{r.Area.X},{r.Area.Y} {r.Area.Width}x{r.Area.Height} >={r.MinFace}]"))} refind {result.Plan.Refind.Count} {stages}"));
                }

                scans[key] = scans.TryGetValue(key, out var s) ? (s.Frames + 1, s.Ms + result.Milliseconds, s.Cpu + gatedCpu[^1]) : (1, result.Milliseconds, gatedCpu[^1]);

                // A face of the full scan is found when a gated face lies on it; a miss streak is per face position (coarse cell).
                var seen = new HashSet<int>();
                foreach (var face in reference.Faces)
                {
                    fullFaces++;
                    var cell = ((int)(face.Box.X / 64) * 1000) + (int)(face.Box.Y / 64);
                    seen.Add(cell);
                    if (result.Faces.Any(g => FaceTracker.Iou(g.Box, face.Box) >= 0.5))
                    {
                        found++;
                        missedStreak.Remove(cell);
                    }
                    else
                    {
                        missesByReason[key] = missesByReason.GetValueOrDefault(key) + 1;
                        missedStreak[cell] = missedStreak.GetValueOrDefault(cell) + 1;
                        longestMiss = Math.Max(longestMiss, missedStreak[cell]);
                    }
                }

                foreach (var stale in missedStreak.Keys.Where(k => !seen.Contains(k)).ToArray())
                {
                    missedStreak.Remove(stale);
                }

                frameIndex++;
            }
        }

        if (frameIndex == 0)
        {
            Console.Error.WriteLine($"bench gating: no frame could be read from '{clip}'.");
            return 1;
        }

        Console.WriteLine();
        Console.WriteLine("| detector | frames | median ms/frame | mean ms/frame | p90 ms | median CPU ms | mean CPU ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        Console.WriteLine(Row("full scan every frame", fullMs, fullCpu));
        Console.WriteLine(Row("gated", gatedMs, gatedCpu));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mean ratio full / gated: {fullMs.Average() / gatedMs.Average():0.00}x wall, {fullCpu.Average() / gatedCpu.Average():0.00}x CPU (same frames, same thread, one after the other)"));
        Console.WriteLine();
        Console.WriteLine("| gated scan | frames | mean ms | mean CPU ms |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (key, v) in scans.OrderByDescending(kv => kv.Value.Frames))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {key} | {v.Frames} | {v.Ms / v.Frames:0.0} | {v.Cpu / v.Frames:0.0} |"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"faces of the full scans found by the gated detector: {found} of {fullFaces} ({100.0 * found / Math.Max(1, fullFaces):0.0} %); longest miss of one face: {longestMiss} frame(s) ({longestMiss * period:0.00} s)"));
        if (missesByReason.Count > 0)
        {
            Console.WriteLine("misses by the gated frame's scan: " + string.Join(", ", missesByReason.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));
        }

        return 0;
    }

    private static string Row(string name, List<double> ms, List<double> cpu)
    {
        var sorted = ms.Order().ToArray();
        var cpuSorted = cpu.Order().ToArray();
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {sorted.Length} | {sorted[sorted.Length / 2]:0.0} | {sorted.Average():0.0} | {sorted[(int)(0.9 * (sorted.Length - 1))]:0.0} | {cpuSorted[cpuSorted.Length / 2]:0.0} | {cpuSorted.Average():0.0} |");
    }

    /// <summary>Keeps the stage times of the last detection.</summary>
    private sealed class LastTimings : IDetectionTimingSink
    {
        private DetectionTimings? _last;

        public void Record(in DetectionTimings timings) => _last = timings;

        public override string ToString() => _last is not { } t ? "" : string.Create(CultureInfo.InvariantCulture,
            $"(pre {t.Preprocess.TotalMilliseconds:0.0} pnet {t.PNet.TotalMilliseconds:0.0} rnet {t.RNet.TotalMilliseconds:0.0} onet {t.ONet.TotalMilliseconds:0.0} post {t.Postprocess.TotalMilliseconds:0.0}; {t.PNetCandidates}/{t.RNetCandidates} cand)");
    }
}
