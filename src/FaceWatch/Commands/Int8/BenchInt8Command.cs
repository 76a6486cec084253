using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceWatch.ModelConversion.Quantization;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using Microsoft.Extensions.Options;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
using FaceWatch.Core.Models;
using FaceWatch.Hosting.Models;
namespace FaceWatch.Commands.Int8;

/// <summary>
/// <c>facewatch bench int8</c>: makes the int8 QDQ nets (unless <c>--no-quantize</c>), then measures float and
/// int8 side by side in one run (interleaved, medians): ms per detection and per stage at each frame size, ms per
/// embedding, and quality (same faces at IoU >= 0.9, landmark error in px, embedding cosine on real faces).
/// </summary>
internal static class BenchInt8Command
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "Models folder with the float files.", DefaultValueFactory = _ => "models" };
        var data = new Option<string>("--data") { Description = "Shared data folder.", DefaultValueFactory = _ => "../shared/data" };
        var iterations = new Option<int>("--iterations") { Description = "Timed runs per configuration and precision.", DefaultValueFactory = _ => 30 };
        var calibrationPhotos = new Option<int>("--calibration-photos") { Description = "Photos used for calibration.", DefaultValueFactory = _ => 120 };
        var noQuantize = new Option<bool>("--no-quantize") { Description = "Use the *.int8.onnx files already in --dir." };
        var floatOutputs = new Option<bool>("--float-outputs") { Description = "Keep graph outputs (head convs) in float." };
        var sessionSettings = new Option<bool>("--session-settings") { Description = "Only measure P-Net ONNX Runtime session settings (fixed shapes, threads, spinning)." };
        var averaged = new Option<bool>("--averaged-ranges") { Description = "Calibrate with the mean of each input's min/max instead of the overall min/max." };
        var floatPRelu = new Option<bool>("--float-prelu") { Description = "Keep the PReLU subgraphs in float (only real convs and Gemm in int8)." };
        var command = new Command("int8", "Float vs int8 QDQ nets: speed (medians, interleaved) and quality.");
        foreach (var o in new Option[] { dir, data, iterations, calibrationPhotos, noQuantize, floatOutputs, floatPRelu, sessionSettings, averaged })
        {
            command.Options.Add(o);
        }

        command.SetAction((p, ct) => p.GetValue(sessionSettings)
            ? Task.FromResult(RunSessionSettings(Path.GetFullPath(p.GetValue(dir)!), Path.GetFullPath(p.GetValue(data)!), Math.Max(1, p.GetValue(iterations))))
            : Task.FromResult(Run(
            Path.GetFullPath(p.GetValue(dir)!), Path.GetFullPath(p.GetValue(data)!), Math.Max(1, p.GetValue(iterations)),
            p.GetValue(calibrationPhotos), !p.GetValue(noQuantize), new QdqOptions(!p.GetValue(floatOutputs), p.GetValue(floatPRelu)), p.GetValue(averaged), ct)));
        return command;
    }

    private static int RunSessionSettings(string modelsDir, string data, int iterations)
    {
        SessionSettings(modelsDir, Path.Combine(data, "images", "jurassic-groups", "example_03.png"), iterations);
        return 0;
    }

    private static int Run(string modelsDir, string data, int iterations, int calibrationCount, bool quantize, QdqOptions qdq, bool averaged, CancellationToken ct)
    {
        Cv2.SetNumThreads(1);
        if (quantize)
        {
            var photos = Int8Calibration.Photos([Path.Combine(data, "faces"), Path.Combine(data, "calibration", "lfw")], calibrationCount);
            var watch = Stopwatch.StartNew();
            Int8Calibration.Run(modelsDir, photos, qdq, averaged, Console.Out);
            Console.WriteLine($"quantized in {watch.Elapsed.TotalSeconds:F1} s from {photos.Count} calibration photos");
        }

        var speedPhoto = Path.Combine(data, "images", "jurassic-groups", "example_03.png");
        // Test photos: the group photos and the single/two-person photos the detection tests use.
        var testPhotos = Directory.GetFiles(Path.Combine(data, "images", "jurassic-groups"))
            .Concat(Directory.GetFiles(Path.Combine(data, "images"), "*.jpg")).Order(StringComparer.Ordinal).ToList();
        Console.WriteLine("precision per net: F = float32, I = int8 (P-Net R-Net O-Net); +s: Detection:FixedShapeSessions=4 (else 0)");
        string[] configs = ["FFF", "FFF+s", "IFF", "FIF", "FFI", "III"];
        var detectors = configs.ToDictionary(c => c, c => Detector(modelsDir, c));
        try
        {
            Speed(detectors, speedPhoto, iterations, ct);
            Quality(detectors, testPhotos);
            Embeddings(modelsDir, Path.Combine(data, "calibration", "lfw"), detectors["FFF"], iterations);
        }
        finally
        {
            foreach (var d in detectors.Values)
            {
                d.Dispose();
            }
        }

        return 0;
    }

    /// <summary>
    /// P-Net float sessions alone on a real pyramid-level input, interleaved: ORT's defaults against fixed input
    /// shapes (free dimension overrides, so the plan is made for one shape) and against 2 threads with and without spinning.
    /// </summary>
    public static void SessionSettings(string modelsDir, string photoPath, int iterations)
    {
        using var photo = ImageLoader.Load(photoPath);
        Console.WriteLine("P-Net session settings (float, wall ms per call, medians of interleaved runs)");
        Console.WriteLine("input      1thr   1thr+fixed-shape   2thr-nospin   2thr-spin");
        foreach (var size in new[] { new Size(192, 144), new Size(384, 216), new Size(640, 360) })
        {
            using var resized = new Mat();
            Cv2.Resize(photo, resized, size, 0, 0, InterpolationFlags.Area);
            var (data, shape) = Int8Calibration.Tensor(resized);
            var path = Path.Combine(modelsDir, ModelFiles.PNet);
            Microsoft.ML.OnnxRuntime.InferenceSession Session(int threads, bool spin, bool fixedShape)
            {
                using var o = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
                o.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
                if (fixedShape)
                {
                    o.AddFreeDimensionOverrideByName("height", size.Height);
                    o.AddFreeDimensionOverrideByName("width", size.Width);
                }

                return new Microsoft.ML.OnnxRuntime.InferenceSession(path, o);
            }

            var sessions = new[] { Session(1, false, false), Session(1, false, true), Session(2, false, false), Session(2, true, false) };
            try
            {
                var times = sessions.Select(_ => new List<double>()).ToArray();
                using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(data, shape);
                for (var i = 0; i < iterations + 5; i++)
                {
                    for (var k = 0; k < sessions.Length; k++)
                    {
                        var w = Stopwatch.StartNew();
                        using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
                        using var outputs = sessions[k].Run(runOptions, [ModelFiles.InputName], [input], ["prob", "bbox_reg"]);
                        if (i >= 5)
                        {
                            times[k].Add(w.Elapsed.TotalMilliseconds);
                        }
                    }
                }

                var medians = times.Select(t => t.Order().ElementAt(t.Count / 2)).ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{size.Width}x{size.Height,-5} {medians[0],6:F2} {medians[1],14:F2} {medians[2],13:F2} {medians[3],11:F2}"));
            }
            finally
            {
                foreach (var session in sessions)
                {
                    session.Dispose();
                }
            }
        }
    }

    private static MtcnnDetector Detector(string modelsDir, string config)
    {
        static ModelPrecision P(char c) => c == 'I' ? ModelPrecision.Int8 : ModelPrecision.Float32;
        var models = new ModelsOptions { Dir = modelsDir, AutoFetch = false, PNetPrecision = P(config[0]), RNetPrecision = P(config[1]), ONetPrecision = P(config[2]) };
        var detection = new MtcnnOptions { Threads = 1, FixedShapeSessions = config.EndsWith("+s", StringComparison.Ordinal) ? 4 : 0 };
        return new MtcnnDetector(ModelFetcher.SessionsFor(models), Options.Create(detection));
    }

    private static void Speed(Dictionary<string, MtcnnDetector> detectors, string photoPath, int iterations, CancellationToken ct)
    {
        using var photo = ImageLoader.Load(photoPath);
        Console.WriteLine($"speed: {Path.GetFileName(photoPath)}, min face 40, 1 ORT thread, {iterations} interleaved runs; wall ms medians");
        Console.WriteLine("frame      nets   total   pnet   rnet   onet  faces");
        foreach (var size in new[] { new Size(640, 480), new Size(1280, 720) })
        {
            using var frame = BenchCommand.CoverResize(photo, size);
            var sinks = detectors.ToDictionary(d => d.Key, _ => new Sink());
            foreach (var d in detectors.Values)
            {
                for (var i = 0; i < 5; i++)
                {
                    d.Detect(frame, 40);
                }
            }

            for (var i = 0; i < iterations; i++)
            {
                ct.ThrowIfCancellationRequested();
                foreach (var (name, d) in detectors)
                {
                    d.Detect(frame, 40, sinks[name]);
                }
            }

            foreach (var (name, sink) in sinks)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{size.Width}x{size.Height,-5} {name,-5}  {sink.Median(t => t.Total),6:F2} {sink.Median(t => t.PNet),6:F2} {sink.Median(t => t.RNet),6:F2} {sink.Median(t => t.ONet),6:F2} {sink.Runs[^1].Faces,6}"));
            }
        }
    }

    private static void Quality(Dictionary<string, MtcnnDetector> detectors, List<string> photos)
    {
        Console.WriteLine($"quality: faces found by float and by each variant on {photos.Count} test photos (min face 20); a face is the same at IoU >= 0.9");
        Console.WriteLine("nets  float  variant  same  landmark-err-px(median,max)  min-IoU");
        foreach (var (name, d) in detectors.Where(d => d.Key != "FFF"))
        {
            int found = 0, variant = 0, same = 0;
            var errors = new List<double>();
            var ious = new List<double>();
            foreach (var path in photos)
            {
                using var image = ImageLoader.Load(path);
                var reference = detectors["FFF"].Detect(image, 20);
                var other = d.Detect(image, 20);
                found += reference.Count;
                variant += other.Count;
                foreach (var face in reference)
                {
                    var best = other.Select(o => (o, Pipeline.Tracking.FaceTracker.Iou(o.Box, face.Box))).OrderByDescending(t => t.Item2).FirstOrDefault();
                    if (best.o is null)
                    {
                        continue;
                    }

                    ious.Add(best.Item2);
                    if (best.Item2 >= 0.9)
                    {
                        same++;
                        errors.Add(face.Landmarks.Zip(best.o.Landmarks, (a, b) => Math.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)))).Max());
                    }
                }
            }

            errors.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-5}  {found,5} {variant,8} {same,5}  {(errors.Count > 0 ? errors[errors.Count / 2] : double.NaN),8:F2} {(errors.Count > 0 ? errors[^1] : double.NaN),8:F2}  {(ious.Count > 0 ? ious.Min() : 0),8:F3}"));
        }
    }

    private static void Embeddings(string modelsDir, string lfw, MtcnnDetector detector, int iterations)
    {
        var sessions = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = modelsDir, AutoFetch = false, Threads = 1 }));
        using var floatEmbedder = new OnnxFaceEmbedder(sessions, Options.Create(new EmbeddingOptions()));
        using var int8Embedder = new OnnxFaceEmbedder(sessions, Options.Create(new EmbeddingOptions { ModelFile = ModelFiles.For(ModelFiles.MobileFaceNet, ModelPrecision.Int8) }));
        var cosines = new List<double>();
        var crops = new List<Mat>();
        try
        {
            // Every 3rd LFW photo (sorted), largest face: real aligned faces as the pipeline makes them.
            foreach (var path in Int8Calibration.Photos([lfw], 300).Skip(1))
            {
                using var image = ImageLoader.Load(path);
                var face = detector.Detect(image, 20).OrderByDescending(f => f.Box.Width * f.Box.Height).FirstOrDefault();
                if (face is not null)
                {
                    crops.Add(FaceAligner.Align(image, face.Landmarks));
                }
            }

            var a = floatEmbedder.Embed(crops);
            var b = int8Embedder.Embed(crops);
            for (var i = 0; i < crops.Count; i++)
            {
                cosines.Add(a[i].Zip(b[i], (x, y) => (double)x * y).Sum());
            }

            cosines.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"embedding cosine int8 vs float on {crops.Count} LFW faces: min {cosines[0]:F4}, p5 {cosines[cosines.Count / 20]:F4}, median {cosines[cosines.Count / 2]:F4}"));

            var one = new[] { crops[0] };
            var tf = new List<double>();
            var ti = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                floatEmbedder.Embed(one);
                int8Embedder.Embed(one);
            }

            for (var i = 0; i < iterations * 3; i++)
            {
                var w = Stopwatch.StartNew();
                floatEmbedder.Embed(one);
                tf.Add(w.Elapsed.TotalMilliseconds);
                w.Restart();
                int8Embedder.Embed(one);
                ti.Add(w.Elapsed.TotalMilliseconds);
            }

            tf.Sort();
            ti.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"embedding ms per face (batch 1, wall median): float {tf[tf.Count / 2]:F2}, int8 {ti[ti.Count / 2]:F2}"));
        }
        finally
        {
            foreach (var c in crops)
            {
                c.Dispose();
            }
        }
    }


    private sealed class Sink : IDetectionTimingSink
    {
        public List<DetectionTimings> Runs { get; } = [];

        public void Record(in DetectionTimings timings) => Runs.Add(timings);

        public double Median(Func<DetectionTimings, TimeSpan> stage)
        {
            var values = Runs.Select(r => stage(r).TotalMilliseconds).Order().ToArray();
            return values[values.Length / 2];
        }
    }
}
