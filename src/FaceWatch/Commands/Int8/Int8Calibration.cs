using FaceWatch.ModelConversion.Onnx;
using FaceWatch.ModelConversion.Quantization;
using FaceWatch.Pipeline.Detection;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
using FaceWatch.Core.Models;
using FaceWatch.Hosting.Models;
namespace FaceWatch.Commands.Int8;

/// <summary>
/// Makes the int8 QDQ variants of the four converted nets: runs each float model on real photos (whole images at
/// pyramid scales for P-Net; detected faces, jittered boxes and random windows for R-Net/O-Net; aligned faces for
/// MobileFaceNet), records every activation's min/max, and quantizes with <see cref="QdqQuantizer"/>. Deterministic:
/// sorted photo lists, fixed seeds, one ORT thread.
/// </summary>
internal static class Int8Calibration
{
    public static readonly string[] FloatFiles = [ModelFiles.PNet, ModelFiles.RNet, ModelFiles.ONet, ModelFiles.MobileFaceNet];

    /// <summary>Photos under the folders, sorted by path, every <c>step</c>-th one up to <paramref name="max"/>.</summary>
    public static List<string> Photos(IEnumerable<string> folders, int max)
    {
        var all = folders.Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories))
            .Where(p => p.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        var step = Math.Max(1, all.Count / Math.Max(1, max));
        return all.Where((_, i) => i % step == 0).Take(max).ToList();
    }

    /// <summary>Writes <c>*.int8.onnx</c> beside the float files; returns the files written with the number of calibrated tensors.</summary>
    public static IReadOnlyList<(string File, int Tensors)> Run(string modelsDir, IReadOnlyList<string> photos, QdqOptions options, bool averaged, TextWriter log)
    {
        Cv2.SetNumThreads(1);
        var inputs = FloatFiles.ToDictionary(f => f, _ => new List<(float[] Data, long[] Shape)>());
        using (var detector = DetectorSetupFor(modelsDir))
        {
            var random = new Random(13);
            foreach (var path in photos)
            {
                using var image = ImageLoader.Load(path);
                AddPyramid(image, inputs[ModelFiles.PNet]);
                var faces = detector.Detect(image, 20);
                foreach (var face in faces)
                {
                    for (var j = 0; j < 3; j++)
                    {
                        var box = j == 0 ? face.Box : Jitter(face.Box, random);
                        inputs[ModelFiles.RNet].Add(Crop(image, box, 24));
                        inputs[ModelFiles.ONet].Add(Crop(image, box, 48));
                    }

                    using var aligned = FaceAligner.Align(image, face.Landmarks);
                    inputs[ModelFiles.MobileFaceNet].Add(Tensor(aligned));
                }

                for (var j = 0; j < 6; j++)
                {
                    var side = random.Next(12, Math.Max(13, Math.Min(image.Width, image.Height)));
                    var box = new Rect2f(random.Next(0, image.Width - side + 1), random.Next(0, image.Height - side + 1), side, side);
                    inputs[ModelFiles.RNet].Add(Crop(image, box, 24));
                    inputs[ModelFiles.ONet].Add(Crop(image, box, 48));
                }
            }
        }

        var written = new List<(string, int)>();
        foreach (var file in FloatFiles)
        {
            var graph = OnnxReader.Read(File.ReadAllBytes(Path.Combine(modelsDir, file)));
            var ranges = Ranges(graph, inputs[file], options, averaged);
            var quantized = QdqQuantizer.Quantize(graph, ranges, options);
            var target = Path.Combine(modelsDir, ModelFiles.For(file, ModelPrecision.Int8));
            var bytes = OnnxWriter.Write(quantized, "2+int8", $"int8 QDQ of {file} (per-channel int8 weights, uint8 activations calibrated on {photos.Count} photos).");
            var temp = target + ".tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, target, overwrite: true);
            log.WriteLine($"{Path.GetFileName(target)}: {ranges.Count} tensors calibrated on {inputs[file].Count} inputs, {bytes.Length} bytes, SHA-256 {ModelFiles.Sha256Of(target)}");
            written.Add((target, ranges.Count));
        }

        return written;
    }

    /// <summary>Min/max of every tensor <see cref="QdqQuantizer"/> needs, over all inputs.</summary>
    /// <param name="averaged">Mean over inputs of each input's min and max (ignores rare outliers) instead of the overall min/max.</param>
    public static Dictionary<string, TensorRange> Ranges(OnnxGraph graph, IReadOnlyList<(float[] Data, long[] Shape)> inputs, QdqOptions options, bool averaged = false)
    {
        var tensors = QdqQuantizer.CalibrationTensors(graph, options);
        var probe = OnnxWriter.Write(QdqQuantizer.WithOutputs(graph, tensors), "calibration", "");
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        using var session = new InferenceSession(probe, sessionOptions);
        var min = tensors.ToDictionary(t => t, _ => float.PositiveInfinity, StringComparer.Ordinal);
        var max = tensors.ToDictionary(t => t, _ => float.NegativeInfinity, StringComparer.Ordinal);
        var minSum = tensors.ToDictionary(t => t, _ => 0.0, StringComparer.Ordinal);
        var maxSum = tensors.ToDictionary(t => t, _ => 0.0, StringComparer.Ordinal);
        foreach (var (data, shape) in inputs)
        {
            using var input = OrtValue.CreateTensorValueFromMemory(data, shape);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [ModelFiles.InputName], [input], tensors.ToArray());
            for (var i = 0; i < tensors.Count; i++)
            {
                var values = outputs[i].GetTensorDataAsSpan<float>();
                var (lo, hi) = (System.Numerics.Tensors.TensorPrimitives.Min(values), System.Numerics.Tensors.TensorPrimitives.Max(values));
                min[tensors[i]] = MathF.Min(min[tensors[i]], lo);
                max[tensors[i]] = MathF.Max(max[tensors[i]], hi);
                minSum[tensors[i]] += lo;
                maxSum[tensors[i]] += hi;
            }
        }

        return tensors.ToDictionary(
            t => t,
            t => averaged ? new TensorRange((float)(minSum[t] / inputs.Count), (float)(maxSum[t] / inputs.Count)) : new TensorRange(min[t], max[t]),
            StringComparer.Ordinal);
    }

    /// <summary>RGB, (x - 127.5) / 128, NCHW: what every one of the four nets takes.</summary>
    public static (float[] Data, long[] Shape) Tensor(Mat bgr)
    {
        var h = bgr.Height;
        var w = bgr.Width;
        var data = new float[3 * h * w];
        using var scaled = new Mat();
        bgr.ConvertTo(scaled, MatType.CV_32FC3, 1 / 128.0, -127.5 / 128);
        var planes = Cv2.Split(scaled);
        try
        {
            for (var c = 0; c < 3; c++)
            {
                // BGR planes; RGB order in the tensor.
                using var plane = planes[2 - c].Clone();
                System.Runtime.InteropServices.Marshal.Copy(plane.Data, data, c * h * w, h * w);
            }
        }
        finally
        {
            foreach (var p in planes)
            {
                p.Dispose();
            }
        }

        return (data, [1, 3, h, w]);
    }

    private static MtcnnDetector DetectorSetupFor(string modelsDir)
    {
        var models = new ModelsOptions { Dir = modelsDir, AutoFetch = false, Threads = 1 };
        return new MtcnnDetector(ModelFetcher.SessionsFor(models),
            Microsoft.Extensions.Options.Options.Create(new MtcnnOptions { Threads = 1, MinFaceSize = 20, FixedShapeSessions = 0 }));
    }

    private static void AddPyramid(Mat image, List<(float[] Data, long[] Shape)> into)
    {
        // Three levels of the pyramid P-Net sees, from a 320-px long side down.
        var scale = 320.0 / Math.Max(image.Width, image.Height);
        for (var level = 0; level < 3; level++, scale *= 0.5)
        {
            var size = new Size(Math.Max(12, (int)(image.Width * scale)), Math.Max(12, (int)(image.Height * scale)));
            using var resized = new Mat();
            Cv2.Resize(image, resized, size, 0, 0, InterpolationFlags.Area);
            into.Add(Tensor(resized));
        }
    }

    private static Rect2f Jitter(Rect2f box, Random random)
    {
        var s = 0.8f + (0.5f * random.NextSingle());
        var w = box.Width * s;
        var h = box.Height * s;
        var cx = box.X + (box.Width / 2) + ((random.NextSingle() - 0.5f) * 0.4f * box.Width);
        var cy = box.Y + (box.Height / 2) + ((random.NextSingle() - 0.5f) * 0.4f * box.Height);
        return new Rect2f(cx - (w / 2), cy - (h / 2), w, h);
    }

    /// <summary>A square crop of the box (black past the edges), resized to <paramref name="size"/>.</summary>
    private static (float[] Data, long[] Shape) Crop(Mat image, Rect2f box, int size)
    {
        var side = (int)Math.Max(2, Math.Max(box.Width, box.Height));
        var x = (int)(box.X + (box.Width / 2) - (side / 2));
        var y = (int)(box.Y + (box.Height / 2) - (side / 2));
        using var padded = new Mat(side, side, MatType.CV_8UC3, Scalar.Black);
        var inside = new Rect(x, y, side, side).Intersect(new Rect(0, 0, image.Width, image.Height));
        if (inside.Width > 0 && inside.Height > 0)
        {
            using var from = new Mat(image, inside);
            using var to = new Mat(padded, new Rect(inside.X - x, inside.Y - y, inside.Width, inside.Height));
            from.CopyTo(to);
        }

        using var resized = new Mat();
        Cv2.Resize(padded, resized, new Size(size, size), 0, 0, InterpolationFlags.Linear);
        return Tensor(resized);
    }
}
