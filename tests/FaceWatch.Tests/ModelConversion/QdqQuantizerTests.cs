using FaceWatch.ModelConversion.Onnx;
using FaceWatch.ModelConversion.Quantization;
using Microsoft.ML.OnnxRuntime;

namespace FaceWatch.Tests.ModelConversion;

public sealed class QdqQuantizerTests
{
    [Fact]
    public void Channel_scales_are_per_output_channel_and_symmetric()
    {
        float[] weights = [0.5f, -1.27f, 0.1f, 0.2f, 0f, 0f];
        var scales = QdqQuantizer.ChannelScales(weights, 3);
        Assert.Equal(1.27f / QdqQuantizer.MaxWeightCode, scales[0], 6);
        Assert.Equal(0.2f / QdqQuantizer.MaxWeightCode, scales[1], 6);
        Assert.Equal(1f, scales[2]); // zero (padding) filters
    }

    [Fact]
    public void Activation_parameters_hold_zero_exactly()
    {
        var (scale, zero) = QdqQuantizer.ActivationParameters(new TensorRange(-1f, 3f));
        Assert.Equal(4f / 255f, scale, 6);
        Assert.Equal(64, zero);
        Assert.Equal(0, QdqQuantizer.ActivationParameters(new TensorRange(0.5f, 2f)).ZeroPoint); // widened to hold 0
    }

    [Fact]
    public void Reader_reads_back_what_the_writer_wrote()
    {
        var graph = SmallGraph();
        var bytes = OnnxWriter.Write(graph, "test", "doc");
        var again = OnnxWriter.Write(OnnxReader.Read(bytes), "test", "doc");
        Assert.Equal(bytes, again);
    }

    [Fact]
    public void Quantized_graph_runs_close_to_float_and_is_deterministic()
    {
        var graph = SmallGraph();
        var inputs = Enumerable.Range(0, 8).Select(seed => Input(seed)).ToList();
        var ranges = Ranges(graph, inputs);
        Assert.Equal(["input", "conv", "relu", "linear", "positive", "add"], QdqQuantizer.CalibrationTensors(graph)); // pool shares add's scale

        var quantized = QdqQuantizer.Quantize(graph, ranges);
        var bytes = OnnxWriter.Write(quantized, "test", "");
        Assert.Equal(bytes, OnnxWriter.Write(QdqQuantizer.Quantize(graph, ranges), "test", ""));
        Assert.Contains(quantized.Nodes, n => n.OpType == "DequantizeLinear" && n.Attributes.Any(a => a.Name == "axis"));
        Assert.DoesNotContain(quantized.Nodes, n => n.OpType == "Relu"); // the uint8 clamp at zero point 0 is the Relu
        Assert.Contains(quantized.Initializers, i => i.Int8s is { Length: 4 * 3 * 3 * 3 });
        Assert.Contains(quantized.Initializers, i => i.Int32s is { Length: 4 });

        using var floatSession = new InferenceSession(OnnxWriter.Write(graph, "test", ""));
        using var int8Session = new InferenceSession(bytes);
        foreach (var input in inputs)
        {
            var expected = Run(floatSession, input);
            var actual = Run(int8Session, input);
            var range = ranges["add"].Max - ranges["add"].Min;
            for (var i = 0; i < expected.Length; i++)
            {
                // A few quantization steps of the output's range (each layer adds about one step of its own range).
                Assert.InRange(Math.Abs(expected[i] - actual[i]), 0, 4 * range / 255);
            }
        }
    }

    /// <summary>conv (3 -> 4, 3x3, bias) -> PReLU as the converter writes it (relu, two depthwise 1x1 convs, add) -> maxpool.</summary>
    private static OnnxGraph SmallGraph()
    {
        var g = new OnnxGraph("small");
        var random = new Random(5);
        float[] Values(int n, float scale) => Enumerable.Range(0, n).Select(_ => (random.NextSingle() - 0.5f) * 2 * scale).ToArray();
        g.Reserve("input");
        g.Inputs.Add(new OnnxValueInfo("input", [1L, 3L, 8L, 8L]));
        var w = g.AddInitializer("w", [4, 3, 3, 3], Values(108, 0.5f));
        var b = g.AddInitializer("b", [4], Values(4, 0.2f));
        var conv = g.Add("Conv", "conv", ["input", w, b], OnnxAttribute.Of("pads", 1L, 1, 1, 1));
        var relu = g.Add("Relu", "relu", [conv]);
        OnnxAttribute[] depthwise = [OnnxAttribute.Of("group", 4L), OnnxAttribute.Of("kernel_shape", 1L, 1L)];
        var slope = g.AddInitializer("slope", [4, 1, 1, 1], [0.25f, 0.1f, 0.3f, 0.2f]);
        var oneMinus = g.AddInitializer("one_minus", [4, 1, 1, 1], [0.75f, 0.9f, 0.7f, 0.8f]);
        var linear = g.Add("Conv", "linear", [conv, slope], depthwise);
        var positive = g.Add("Conv", "positive", [relu, oneMinus], depthwise);
        var add = g.Add("Add", "add", [positive, linear]);
        var pool = g.Add("MaxPool", "pool", [add], OnnxAttribute.Of("kernel_shape", 2L, 2), OnnxAttribute.Of("strides", 2L, 2));
        g.Outputs.Add(new OnnxValueInfo(pool, [1L, 4L, 4L, 4L]));
        return g;
    }

    private static float[] Input(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 3 * 8 * 8).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
    }

    private static float[] Run(InferenceSession session, float[] input, string output = "pool")
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 8, 8]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input"], [value], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static Dictionary<string, TensorRange> Ranges(OnnxGraph graph, List<float[]> inputs)
    {
        var tensors = QdqQuantizer.CalibrationTensors(graph);
        using var session = new InferenceSession(OnnxWriter.Write(QdqQuantizer.WithOutputs(graph, tensors), "test", ""));
        var ranges = new Dictionary<string, TensorRange>();
        foreach (var input in inputs)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 8, 8]);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, ["input"], [value], tensors.ToArray());
            for (var i = 0; i < tensors.Count; i++)
            {
                var data = outputs[i].GetTensorDataAsSpan<float>();
                var (min, max) = (float.MaxValue, float.MinValue);
                foreach (var v in data)
                {
                    (min, max) = (Math.Min(min, v), Math.Max(max, v));
                }

                ranges[tensors[i]] = ranges.TryGetValue(tensors[i], out var r) ? new TensorRange(Math.Min(r.Min, min), Math.Max(r.Max, max)) : new TensorRange(min, max);
            }
        }

        return ranges;
    }
}
