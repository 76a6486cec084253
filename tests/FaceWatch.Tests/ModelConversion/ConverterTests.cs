using System.Security.Cryptography;
using FaceWatch.ModelConversion;
using FaceWatch.ModelConversion.Reference;
using FaceWatch.ModelConversion.Tflite;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;
using Xunit.Abstractions;

using FaceWatch.Core.Models;
using FaceWatch.Tests.Hosting.Models;
namespace FaceWatch.Tests.ModelConversion;

/// <summary>
/// Each converted model, run in ONNX Runtime, against the plain C# interpreter of the original TFLite graph on the
/// same random and real inputs. The interpreter applies the width/height swap the package's Kotlin code does
/// before the MTCNN nets, so a match also proves the transpose baked into the ONNX graphs.
/// </summary>
[Collection(ModelPackageCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ConverterTests(ModelPackageFixture package, ITestOutputHelper output)
{
    private const float MtcnnTolerance = 1e-4f;
    private const float EmbeddingRelativeTolerance = 1e-3f;

    public static TheoryData<string> ModelFiles => new() { "pnet.onnx", "rnet.onnx", "onet.onnx", "mobilefacenet.onnx" };

    [Theory]
    [MemberData(nameof(ModelFiles))]
    public void Converted_model_matches_the_TFLite_reference_on_random_input(string file)
    {
        var (spec, tflite, onnx) = package.Models[file];
        using var session = new InferenceSession(onnx);
        var random = new Random(1234);
        // Several sizes: batch > 1 where the batch is dynamic, odd and even sizes where height/width are dynamic.
        (int N, int H, int W)[] sizes = spec.DynamicSpatial
            ? [(1, 12, 12), (1, 37, 53), (1, 80, 61)]
            : [(1, ImageSize(spec, tflite).H, ImageSize(spec, tflite).W), (spec.DynamicBatch ? 3 : 1, ImageSize(spec, tflite).H, ImageSize(spec, tflite).W)];
        foreach (var (n, h, w) in sizes)
        {
            var input = new float[n * 3 * h * w];
            for (var i = 0; i < input.Length; i++)
            {
                input[i] = (float)((random.NextDouble() * 2) - 1);
            }

            Compare(session, spec, tflite, input, n, h, w, $"random {n}x3x{h}x{w}");
        }
    }

    [Theory]
    [MemberData(nameof(ModelFiles))]
    public void Converted_model_matches_the_TFLite_reference_on_a_real_face_photo(string file)
    {
        var (spec, tflite, onnx) = package.Models[file];
        using var session = new InferenceSession(onnx);
        // P-Net sees a whole (downscaled, non-square) photo; the others see the photo squeezed to their input size.
        var (h, w) = spec.DynamicSpatial ? (96, 128) : ImageSize(spec, tflite);
        var input = LoadRgbNchw(TestPaths.Data("images", "obama-480p.jpg"), w, h);
        var outputs = Compare(session, spec, tflite, input, 1, h, w, "obama-480p.jpg");
        if (file == "pnet.onnx")
        {
            // A real face gives confident face cells in the upright probability map.
            Assert.True(outputs["prob"].Max() > 0.9f, "P-Net finds no face cell in a face photo");
        }
    }

    [Fact]
    public void MTCNN_reads_an_upright_photo_upright()
    {
        // obama-480p.jpg (853x480): the face is the square x 380..500, y 40..160 (checked by eye).
        var photo = TestPaths.Data("images", "obama-480p.jpg");
        var face = new Rect(380, 40, 120, 120);

        // P-Net at the scale where that face is 12 px: its best cell must land on the face, not on a transposed spot.
        const double scale = 12.0 / 120;
        var (h, w) = ((int)(480 * scale), (int)(853 * scale));
        using var pnet = new InferenceSession(package.Models["pnet.onnx"].Onnx);
        using var pnetInput = OrtValue.CreateTensorValueFromMemory(LoadRgbNchw(photo, w, h), [1, 3, h, w]);
        using var runOptions = new RunOptions();
        using var pnetOut = pnet.Run(runOptions, ["input"], [pnetInput], ["prob"]);
        var shape = pnetOut[0].GetTensorTypeAndShape().Shape;
        var faceProb = pnetOut[0].GetTensorDataAsSpan<float>()[(int)(shape[2] * shape[3])..];
        var best = faceProb.IndexOf(faceProb.ToArray().Max());
        var cell = new Rect((int)(best % shape[3] * 2 / scale), (int)(best / shape[3] * 2 / scale), 120, 120);
        output.WriteLine($"P-Net best cell box {cell}, p = {faceProb[best]:F3}");
        Assert.True((cell & face).Width * (cell & face).Height > 0.5 * 120 * 120, $"P-Net's best box {cell} misses the face {face}");

        // O-Net on the upright face crop: a face, landmarks x1..x5 then y1..y5 with eyes above nose above mouth.
        using var image = Cv2.ImRead(photo);
        using var crop = new Mat(image, face);
        var path = Path.Combine(package.WorkDirectory, "face.png");
        Cv2.ImWrite(path, crop);
        using var onet = new InferenceSession(package.Models["onet.onnx"].Onnx);
        using var onetInput = OrtValue.CreateTensorValueFromMemory(LoadRgbNchw(path, 48, 48), [1, 3, 48, 48]);
        using var onetOut = onet.Run(runOptions, ["input"], [onetInput], ["prob", "landmarks"]);
        var prob = onetOut[0].GetTensorDataAsSpan<float>()[1];
        var lm = onetOut[1].GetTensorDataAsSpan<float>().ToArray();
        output.WriteLine($"O-Net face prob {prob:F4}, landmarks {string.Join(", ", lm.Select(v => v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.True(prob > 0.99f, $"O-Net face probability {prob}");
        Assert.True(lm[0] < lm[2] && lm[2] < lm[1], "left eye, nose, right eye are not left to right");
        Assert.True(lm[5] < lm[7] && lm[6] < lm[7], "eyes are not above the nose");
        Assert.True(lm[7] < lm[8] && lm[7] < lm[9], "nose is not above the mouth corners");
    }

    [Fact]
    public void Conversion_is_deterministic_and_matches_the_pinned_hashes()
    {
        foreach (var (file, (spec, tflite, onnx)) in package.Models)
        {
            var again = TfliteToOnnxConverter.Convert(tflite, spec);
            Assert.Equal(onnx, again);
            Assert.Equal(package.Manifest[file].Sha256, Convert.ToHexStringLower(SHA256.HashData(onnx)));
            output.WriteLine($"{file}: {onnx.Length} bytes, converted in {package.ConversionMilliseconds[file]} ms");
        }
    }

    [Fact]
    public void Converted_models_follow_the_interface_contract()
    {
        using var pnet = new InferenceSession(package.Models["pnet.onnx"].Onnx);
        Assert.Equal([1, 3, -1, -1], pnet.InputMetadata["input"].Dimensions);
        Assert.Equal(["prob", "bbox_reg"], pnet.OutputMetadata.Keys);
        Assert.Equal([1, 2, -1, -1], pnet.OutputMetadata["prob"].Dimensions);

        using var onet = new InferenceSession(package.Models["onet.onnx"].Onnx);
        Assert.Equal([-1, 3, 48, 48], onet.InputMetadata["input"].Dimensions);
        Assert.Equal(["prob", "bbox_reg", "landmarks"], onet.OutputMetadata.Keys);
        Assert.Equal([-1, 10], onet.OutputMetadata["landmarks"].Dimensions);

        using var rnet = new InferenceSession(package.Models["rnet.onnx"].Onnx);
        Assert.Equal([-1, 3, 24, 24], rnet.InputMetadata["input"].Dimensions);

        using var mfn = new InferenceSession(package.Models["mobilefacenet.onnx"].Onnx);
        Assert.Equal([-1, 3, 112, 112], mfn.InputMetadata["input"].Dimensions);
        Assert.Equal([-1, 192], mfn.OutputMetadata["embedding"].Dimensions);
    }

    [Fact]
    public void PReLU_becomes_depthwise_convolutions_and_softmax_a_single_op()
    {
        // The TFLite graphs spell PReLU as relu(x) - alpha*relu(-x) (MTCNN) or relu(x) + m*(x - |x|) (MobileFaceNet).
        // Rank 4 becomes slope*x + (1-slope)*relu(x) with two depthwise 1x1 Convs (ONNX Runtime keeps it in NCHWc);
        // O-Net's one PReLU after a fully connected layer stays a PRelu.
        var onet = package.Models["onet.onnx"].Onnx;
        var mfn = package.Models["mobilefacenet.onnx"].Onnx;
        Assert.Equal(1, Count(onet, "PRelu"));
        Assert.Equal(4, Count(onet, "Relu"));
        Assert.Equal(1, Count(onet, "Softmax"));
        Assert.Equal(0, Count(onet, "Neg"));
        Assert.Equal(0, Count(mfn, "PRelu"));
        Assert.Equal(33, Count(mfn, "Relu"));
        Assert.Equal(0, Count(mfn, "Abs"));
    }

    [Fact]
    public void An_unsupported_op_is_named_with_the_file()
    {
        var (spec, tflite, _) = package.Models["rnet.onnx"];
        var ops = tflite.Operators.ToList();
        ops[7] = ops[7] with { Code = 25 }; // SOFTMAX where a MAX_POOL_2D was
        var broken = tflite with { Operators = ops };

        var e = Assert.Throws<ModelConversionException>(() => TfliteToOnnxConverter.Convert(broken, spec));
        Assert.Contains("rnet.tflite", e.Message, StringComparison.Ordinal);
        Assert.Contains("SOFTMAX (builtin code 25)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unsupported_tensor_type_is_named_with_the_file()
    {
        var (spec, tflite, _) = package.Models["rnet.onnx"];
        var tensors = tflite.Tensors.ToList();
        var input = tflite.Inputs[0];
        tensors[input] = tensors[input] with { Type = TfliteTensorType.UInt8 };
        var broken = tflite with { Tensors = tensors };

        var e = Assert.Throws<ModelConversionException>(() => TfliteToOnnxConverter.Convert(broken, spec));
        Assert.Contains("rnet.tflite", e.Message, StringComparison.Ordinal);
        Assert.Contains("UInt8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_TFLite_file_is_a_clear_error()
    {
        var bytes = package.Sources["package/android/src/main/assets/onet.tflite"];
        var e = Assert.Throws<ModelConversionException>(() => TfliteReader.Read(bytes[..(bytes.Length / 3)], "onet.tflite"));
        Assert.Contains("onet.tflite", e.Message, StringComparison.Ordinal);
    }

    private Dictionary<string, float[]> Compare(InferenceSession session, ConversionSpec spec, TfliteModel tflite, float[] nchw, int n, int h, int w, string what)
    {
        // The reference sees what the Kotlin code feeds TFLite: NHWC, and for MTCNN with width and height swapped.
        var swap = spec.TransposeWidthHeight;
        var (th, tw) = swap ? (w, h) : (h, w);
        var nhwc = new float[nchw.Length];
        for (var b = 0; b < n; b++)
        {
            for (var c = 0; c < 3; c++)
            {
                for (var y = 0; y < h; y++)
                {
                    for (var x = 0; x < w; x++)
                    {
                        var (ty, tx) = swap ? (x, y) : (y, x);
                        nhwc[((((b * th) + ty) * tw) + tx) * 3 + c] = nchw[((((b * 3) + c) * h) + y) * w + x];
                    }
                }
            }
        }

        var reference = TfliteReferenceInterpreter.Run(tflite, new NhwcTensor([n, th, tw, 3], nhwc));
        using var input = OrtValue.CreateTensorValueFromMemory(nchw, [n, 3, h, w]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["input"], [input], session.OutputNames);
        var outputs = new Dictionary<string, float[]>();
        for (var i = 0; i < session.OutputNames.Count; i++)
        {
            var name = session.OutputNames[i];
            var mapping = spec.Outputs.Single(o => o.OnnxName == name);
            var actual = results[i].GetTensorDataAsSpan<float>().ToArray();
            var shape = results[i].GetTensorTypeAndShape().Shape;
            var expected = reference[mapping.TfliteName];
            Assert.Equal(expected.Size, actual.Length);
            // Reference NHWC [n, a, b, C] (a, b swapped for MTCNN); ONNX NCHW [n, C, h', w'] upright.
            var maxDiff = 0f;
            var maxAbs = 0f;
            for (var j = 0; j < expected.Data.Length; j++)
            {
                float e = expected.Data[j], a;
                if (expected.Shape.Length == 4)
                {
                    int c = expected.Shape[3], bb = expected.Shape[2], aa = expected.Shape[1];
                    var ch = j % c;
                    var q = j / c % bb;
                    var p = j / c / bb % aa;
                    var b = j / c / bb / aa;
                    var (oy, ox) = swap ? (q, p) : (p, q);
                    Assert.Equal(swap ? [n, c, bb, aa] : [n, c, aa, bb], shape);
                    a = actual[(((((b * c) + ch) * shape[2]) + oy) * (int)shape[3]) + ox];
                }
                else
                {
                    a = actual[j];
                }

                maxDiff = Math.Max(maxDiff, Math.Abs(a - e));
                maxAbs = Math.Max(maxAbs, Math.Abs(e));
            }

            output.WriteLine($"{spec.OutputFile} {what}: {name} max |onnx - tflite| = {maxDiff:E2} (max |value| {maxAbs:F3})");
            if (name == "embedding")
            {
                Assert.True(maxDiff <= EmbeddingRelativeTolerance * maxAbs, $"{name}: max diff {maxDiff} > {EmbeddingRelativeTolerance} x {maxAbs}");
            }
            else
            {
                Assert.True(maxDiff <= MtcnnTolerance, $"{name}: max diff {maxDiff} > {MtcnnTolerance}");
            }

            outputs[name] = actual;
        }

        return outputs;
    }

    private static (int H, int W) ImageSize(ConversionSpec spec, TfliteModel tflite)
    {
        var shape = tflite.Tensors[tflite.Inputs[0]].Shape;
        return spec.TransposeWidthHeight ? (shape[2], shape[1]) : (shape[1], shape[2]);
    }

    /// <summary>An image resized to w x h, RGB, (x - 127.5) / 128, NCHW: the models' documented input.</summary>
    private static float[] LoadRgbNchw(string path, int w, int h)
    {
        using var bgr = Cv2.ImRead(path, ImreadModes.Color);
        Assert.False(bgr.Empty(), $"cannot read {path}");
        using var resized = new Mat();
        Cv2.Resize(bgr, resized, new Size(w, h), 0, 0, InterpolationFlags.Area);
        var result = new float[3 * h * w];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var px = resized.At<Vec3b>(y, x);
                result[(0 * h * w) + (y * w) + x] = (px.Item2 - 127.5f) / 128f;
                result[(1 * h * w) + (y * w) + x] = (px.Item1 - 127.5f) / 128f;
                result[(2 * h * w) + (y * w) + x] = (px.Item0 - 127.5f) / 128f;
            }
        }

        return result;
    }

    /// <summary>How many nodes of <paramref name="opType"/> the graph has (ModelProto.graph = 7, GraphProto.node = 1, NodeProto.op_type = 4).</summary>
    private static int Count(byte[] onnx, string opType)
    {
        var count = 0;
        foreach (var graph in Fields(onnx, 7))
        {
            foreach (var node in Fields(graph, 1))
            {
                count += Fields(node, 4).Count(t => System.Text.Encoding.UTF8.GetString(t) == opType);
            }
        }

        return count;
    }

    private static List<byte[]> Fields(byte[] message, int field)
    {
        var found = new List<byte[]>();
        var input = new Google.Protobuf.CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (Google.Protobuf.WireFormat.GetTagFieldNumber(tag) == field)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }
}
