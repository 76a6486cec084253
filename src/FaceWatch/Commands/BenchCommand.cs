using System.CommandLine;
using System.Globalization;
using FaceWatch.Pipeline.Detection;
using Microsoft.Extensions.Options;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Motion;
namespace FaceWatch.Commands;

/// <summary><c>facewatch bench &lt;stage&gt;</c>: speed measurements printed as medians. Add a subcommand per stage.</summary>
internal static class BenchCommand
{
    private const string DefaultImage = "../shared/data/images/jurassic-groups/example_03.png";

    public static Command Create()
    {
        var command = new Command("bench", "Measure the speed of pipeline stages (medians over many runs).");
        command.Subcommands.Add(CreateDetect());
        command.Subcommands.Add(BenchIdentifyCommand.Create());
        command.Subcommands.Add(PipelineBenchCommand.Create());
        command.Subcommands.Add(BenchGatingCommand.Create());
        command.Subcommands.Add(BenchOverlayCommand.Create());
        command.Subcommands.Add(BenchTrackingCommand.Create());
        command.Subcommands.Add(BenchVisitsCommand.Create());
        command.Subcommands.Add(Int8.BenchInt8Command.Create());
        return command;
    }

    private static Command CreateDetect()
    {
        var image = new Option<string>("--image")
        {
            Description = "Group photo the frames are cut from (cover-cropped and resized to each frame size).",
            DefaultValueFactory = _ => DefaultImage,
        };
        var sizes = new Option<string[]>("--size")
        {
            Description = "Frame sizes WxH.",
            DefaultValueFactory = _ => ["640x480", "1280x720"],
            AllowMultipleArgumentsPerToken = true,
        };
        var minFaces = new Option<int[]>("--min-face")
        {
            Description = "Minimum face sizes.",
            DefaultValueFactory = _ => [40, 80],
            AllowMultipleArgumentsPerToken = true,
        };
        var threads = new Option<int[]>("--threads")
        {
            Description = "ONNX Runtime intra-op thread counts.",
            DefaultValueFactory = _ => [1, 2],
            AllowMultipleArgumentsPerToken = true,
        };
        var iterations = new Option<int>("--iterations")
        {
            Description = "Timed detections per configuration.",
            DefaultValueFactory = _ => 60,
        };
        var warmup = new Option<int>("--warmup")
        {
            Description = "Untimed detections first.",
            DefaultValueFactory = _ => 8,
        };

        var cvThreads = new Option<int>("--cv-threads")
        {
            Description = "OpenCV worker threads (0: OpenCV's default, all cores). The daemon runs one detection per camera in parallel, so 1 is realistic.",
            DefaultValueFactory = _ => 1,
        };

        var command = new Command("detect", "MTCNN detection: ms per frame (median, p90) and the share of each stage.");
        command.Options.Add(cvThreads);
        command.Options.Add(image);
        command.Options.Add(sizes);
        command.Options.Add(minFaces);
        command.Options.Add(threads);
        command.Options.Add(iterations);
        command.Options.Add(warmup);
        command.SetAction((parseResult, ct) => Task.FromResult(RunDetect(
            parseResult.GetValue(CommonOptions.Config),
            parseResult.GetValue(image)!,
            parseResult.GetValue(sizes) ?? [],
            parseResult.GetValue(minFaces) ?? [],
            parseResult.GetValue(threads) ?? [],
            Math.Max(1, parseResult.GetValue(iterations)),
            Math.Max(0, parseResult.GetValue(warmup)),
            parseResult.GetValue(cvThreads),
            ct)));
        return command;
    }

    private static int RunDetect(string? config, string imagePath, string[] sizeTexts, int[] minFaces, int[] threadCounts, int iterations, int warmup, int cvThreads, CancellationToken ct)
    {
        if (cvThreads > 0)
        {
            Cv2.SetNumThreads(cvThreads);
        }

        var frameSizes = new List<Size>();
        foreach (var text in sizeTexts)
        {
            var parts = text.Split('x', 'X');
            if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var w) ||
                !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var h) || w < 12 || h < 12)
            {
                Console.Error.WriteLine($"bench detect: --size '{text}' is not WxH.");
                return 2;
            }

            frameSizes.Add(new Size(w, h));
        }

        Mat photo;
        try
        {
            photo = ImageLoader.Load(imagePath);
        }
        catch (ImageLoadException e)
        {
            Console.Error.WriteLine($"bench detect: {e.Message} Pass a group photo with --image.");
            return 2;
        }

        using (photo)
        {
            Console.WriteLine($"bench detect: {Path.GetFileName(imagePath)} ({photo.Width}x{photo.Height}), {iterations} timed runs after {warmup} warm-up, {Environment.ProcessorCount} cores, OpenCV threads {Cv2.GetNumThreads()}");
            Console.WriteLine("frame      min  thr   median     p90  cpu-med   faces  pre%  pnet%  rnet%  onet%  post%  p-cand  r-cand");
            foreach (var threads in threadCounts)
            {
                MtcnnDetector detector;
                try
                {
#pragma warning disable CA2000 // assigned inside try only to catch setup errors; disposed by the using below
                    detector = DetectorSetup.Create(config, o => o.Threads = threads);
#pragma warning restore CA2000
                }
                catch (Exception e) when (DetectorSetup.IsSetupError(e))
                {
                    Console.Error.WriteLine($"bench detect: {e.Message}");
                    return 2;
                }

                using (detector)
                {
                    foreach (var size in frameSizes)
                    {
                        using var frame = CoverResize(photo, size);
                        foreach (var minFace in minFaces)
                        {
                            ct.ThrowIfCancellationRequested();
                            var sink = new TimingRecorder(iterations);
                            for (var i = 0; i < warmup; i++)
                            {
                                detector.Detect(frame, minFace);
                            }

                            for (var i = 0; i < iterations; i++)
                            {
                                var cpu = ProcessCpu.Now();
                                detector.Detect(frame, minFace, sink);
                                sink.AddCpu(ProcessCpu.Now() - cpu);
                            }

                            Console.WriteLine(sink.Summary($"{size.Width}x{size.Height}", minFace, threads));

                            // Gated: the same frame searched only round the faces found, as the gate plans it for tracked
                            // faces: found in the previous frame (R-Net/O-Net on the predicted box) and missed once (a region scan).
                            var faces = detector.Detect(frame, minFace);
                            foreach (var missed in new[] { 0, 1 })
                            {
                                var gate = new DetectionGate(new GatingOptions { FullScanSeconds = 0 }, minFace, 1000);
                                gate.Plan(size, 0, MotionResult.Calibrating, [], false);
                                var plan = gate.Plan(size, 1, new MotionResult(MotionState.Measured, [], 0), faces.Select(f => (f.Box, missed)).ToArray(), false);
                                if (plan.Kind != ScanKind.Regions)
                                {
                                    continue;
                                }

                                var regionSink = new TimingRecorder(iterations);
                                for (var i = 0; i < warmup; i++)
                                {
                                    detector.DetectIn(frame, plan.Regions, plan.Refind);
                                }

                                for (var i = 0; i < iterations; i++)
                                {
                                    var cpu = ProcessCpu.Now();
                                    detector.DetectIn(frame, plan.Regions, plan.Refind, regionSink);
                                    regionSink.AddCpu(ProcessCpu.Now() - cpu);
                                }

                                var label = missed == 0 ? $"  refind {plan.Refind.Count} tracked" : $"  {plan.Regions.Count} track region(s), {plan.Share:P0}";
                                Console.WriteLine(regionSink.Summary(label, minFace, threads));
                            }
                        }
                    }
                }
            }
        }

        return 0;
    }

    /// <summary>Crops the photo to the frame's aspect ratio around its centre, then resizes: faces keep their shape.</summary>
    internal static Mat CoverResize(Mat photo, Size size)
    {
        var scale = Math.Max((double)size.Width / photo.Width, (double)size.Height / photo.Height);
        var w = (int)Math.Round(size.Width / scale);
        var h = (int)Math.Round(size.Height / scale);
        var roi = new Rect((photo.Width - w) / 2, (photo.Height - h) / 2, Math.Min(w, photo.Width), Math.Min(h, photo.Height));
        using var view = new Mat(photo, roi);
        var frame = new Mat();
        Cv2.Resize(view, frame, size, 0, 0, InterpolationFlags.Area);
        return frame;
    }

    /// <summary>
    /// CPU time of the whole process (all threads). On a shared machine wall time includes waiting for a core;
    /// CPU time is what the detector would take on an idle one.
    /// </summary>
    internal static class ProcessCpu
    {
        private const int ClockProcessCpuTimeId = 2;

        public static TimeSpan Now()
        {
            if (!OperatingSystem.IsLinux() || ClockGetTime(ClockProcessCpuTimeId, out var ts) != 0)
            {
                return Environment.CpuUsage.TotalTime;
            }

            return TimeSpan.FromTicks((ts.Seconds * TimeSpan.TicksPerSecond) + (ts.Nanoseconds / 100));
        }

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
        private static extern int ClockGetTime(int clockId, out TimeSpec time);

        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }
    }

    private sealed class TimingRecorder(int capacity) : IDetectionTimingSink
    {
        private readonly List<DetectionTimings> _runs = new(capacity);
        private readonly List<double> _cpu = new(capacity);

        public void AddCpu(TimeSpan cpu) => _cpu.Add(cpu.TotalMilliseconds);

        public void Record(in DetectionTimings timings) => _runs.Add(timings);

        public string Summary(string frame, int minFace, int threads)
        {
            var totals = _runs.Select(r => r.Total.TotalMilliseconds).Order().ToArray();
            var cpu = _cpu.Order().ToArray();
            var sum = _runs.Sum(r => r.Total.TotalMilliseconds);
            double Share(Func<DetectionTimings, TimeSpan> stage) => 100 * _runs.Sum(r => stage(r).TotalMilliseconds) / sum;
            var last = _runs[^1];
            return string.Create(CultureInfo.InvariantCulture,
                $"{frame,-10} {minFace,3} {threads,4} {Percentile(totals, 0.5),8:F2} {Percentile(totals, 0.9),7:F2} {Percentile(cpu, 0.5),7:F2} {last.Faces,7} {Share(r => r.Preprocess),5:F0} {Share(r => r.PNet),6:F0} {Share(r => r.RNet),6:F0} {Share(r => r.ONet),6:F0} {Share(r => r.Postprocess),6:F0} {last.PNetCandidates,7} {last.RNetCandidates,7}");
        }

        private static double Percentile(double[] sorted, double p)
        {
            var index = (int)Math.Ceiling(p * sorted.Length) - 1;
            return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
        }
    }
}
