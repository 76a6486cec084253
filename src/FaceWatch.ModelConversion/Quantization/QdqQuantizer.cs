using FaceWatch.ModelConversion.Onnx;

namespace FaceWatch.ModelConversion.Quantization;

/// <summary>The range a tensor took on the calibration data.</summary>
public sealed record TensorRange(float Min, float Max);

/// <summary>Which parts of the graph are quantized.</summary>
/// <param name="QuantizeOutputs">Also put a QuantizeLinear/DequantizeLinear pair on graph outputs that a quantized op
/// produces (the head convs then fuse too, at the price of 8-bit outputs).</param>
/// <param name="FloatPRelu">Leave the PReLU subgraphs (Relu, two depthwise 1x1 convs, Add) in float: only the real
/// convolutions and fully connected layers are int8.</param>
public sealed record QdqOptions(bool QuantizeOutputs = true, bool FloatPRelu = false)
{
    public static QdqOptions Default { get; } = new();
}

/// <summary>
/// Static QDQ quantization of a float graph: per-channel symmetric int8 weights (axis 0, zero point 0) and int32
/// biases (scale = input scale x weight scale) for every Conv and Gemm; asymmetric uint8 activations with ranges
/// from calibration on the inputs and outputs of Conv, Gemm, two-activation Add and MaxPool. ONNX Runtime fuses
/// DQ -> op -> Q into its integer kernels (QLinearConv, QLinearAdd, QGemm); uint8 activations with int8 weights are
/// what its x86 kernels (AVX-512 VNNI included) are built for.
/// Relu nodes are removed: their output is quantized with zero point 0, and QuantizeLinear clamping at 0 is the
/// Relu. MaxPool keeps its input's scale so ONNX Runtime can run it on uint8. Pure: the same graph and ranges give
/// the same graph (and so, through <see cref="OnnxWriter"/>, the same bytes).
/// </summary>
public static class QdqQuantizer
{
    /// <summary>Opset with per-channel (<c>axis</c>) Quantize/DequantizeLinear; the converter writes 17.</summary>
    public const long MinimumOpset = 13;

    /// <summary>The activation tensors whose ranges <see cref="Quantize"/> needs, in graph order.</summary>
    public static IReadOnlyList<string> CalibrationTensors(OnnxGraph graph, QdqOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var plan = new Plan(graph, options ?? QdqOptions.Default);
        return plan.Order.Where(t => !plan.SharedWith.ContainsKey(t)).ToList();
    }

    /// <summary>A copy of <paramref name="graph"/> that also outputs <paramref name="tensors"/> (for calibration runs).</summary>
    public static OnnxGraph WithOutputs(OnnxGraph graph, IEnumerable<string> tensors)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(tensors);
        var copy = Copy(graph);
        var existing = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        copy.Outputs.AddRange(tensors.Where(existing.Add).Select(t => new OnnxValueInfo(t, null)));
        return copy;
    }

    /// <summary>
    /// Largest weight code. 7 bits, not 8: without VNNI, ONNX Runtime's u8s8 kernels add pairs of products in saturating
    /// int16 (pmaddubsw), and 2 x 255 x 127 overflows it (22 steps of error measured on an EPYC without avx512_vnni);
    /// 2 x 255 x 63 does not. The same "reduce range" ONNX Runtime's own quantizer offers.
    /// </summary>
    public const int MaxWeightCode = 63;

    /// <summary>Symmetric int8 scale per output channel (axis 0) of <paramref name="weights"/>; all-zero channels get scale 1.</summary>
    public static float[] ChannelScales(float[] weights, int channels)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var per = weights.Length / channels;
        var scales = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            var max = 0f;
            foreach (var w in weights.AsSpan(c * per, per))
            {
                max = MathF.Max(max, MathF.Abs(w));
            }

            // Zero filters exist (channel padding): any positive scale represents them exactly.
            scales[c] = max > 0 ? max / MaxWeightCode : 1f;
        }

        return scales;
    }

    /// <summary>Asymmetric uint8 parameters for a range; the range is widened to hold 0 (so 0 and Relu are exact).</summary>
    public static (float Scale, byte ZeroPoint) ActivationParameters(TensorRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        var min = MathF.Min(range.Min, 0);
        var max = MathF.Max(range.Max, 0);
        var scale = max > min ? (max - min) / 255f : 1f;
        var zero = Math.Clamp(MathF.Round(-min / scale, MidpointRounding.ToEven), 0, 255);
        return (scale, (byte)zero);
    }

    public static OnnxGraph Quantize(OnnxGraph graph, IReadOnlyDictionary<string, TensorRange> ranges, QdqOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(ranges);
        options ??= QdqOptions.Default;
        var plan = new Plan(graph, options);
        var outputNames = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var q = new OnnxGraph(graph.Name);
        foreach (var name in graph.Inputs.Select(i => i.Name).Concat(graph.Initializers.Select(i => i.Name)).Concat(graph.Nodes.SelectMany(n => n.Outputs)))
        {
            q.Reserve(name);
        }

        q.Inputs.AddRange(graph.Inputs);
        q.Outputs.AddRange(graph.Outputs);
        var initializers = graph.Initializers.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var parameters = new Dictionary<string, (string Scale, string Zero, float ScaleValue)>(StringComparer.Ordinal);
        var rename = new Dictionary<string, string>(StringComparer.Ordinal); // float tensor -> its dequantized copy

        (string Scale, string Zero, float ScaleValue) ParametersOf(string tensor)
        {
            var source = plan.SharedWith.GetValueOrDefault(tensor, tensor);
            if (!parameters.TryGetValue(source, out var p))
            {
                if (!ranges.TryGetValue(source, out var range))
                {
                    throw new ArgumentException($"No calibration range for tensor '{source}' of graph '{graph.Name}'.", nameof(ranges));
                }

                var (scale, zero) = plan.ReluOutputs.Contains(source) ? (MathF.Max(range.Max, 0) > 0 ? MathF.Max(range.Max, 0) / 255f : 1f, (byte)0) : ActivationParameters(range);
                p = (q.AddInitializer(source + "_scale", [], [scale]), AddUInt8(q, source + "_zero_point", zero), scale);
                parameters[source] = p;
            }

            return p;
        }

        // Q -> DQ after a value; consumers read the DQ output. A graph output keeps its name on the DQ side.
        void QuantizeValue(string tensor, string? fromOverride = null)
        {
            var (scale, zero, _) = ParametersOf(tensor);
            var from = fromOverride ?? tensor;
            var quantized = q.Unique(tensor + "_quantized");
            q.Nodes.Add(new OnnxNode("QuantizeLinear", quantized + "_node", [from, scale, zero], [quantized], []));
            var dequantized = outputNames.Contains(tensor) && fromOverride is not null ? tensor : q.Unique(tensor + "_dequantized");
            q.Nodes.Add(new OnnxNode("DequantizeLinear", dequantized + "_node", [quantized, scale, zero], [dequantized], []));
            if (dequantized != tensor)
            {
                rename[tensor] = dequantized;
            }
        }

        foreach (var input in graph.Inputs.Where(i => plan.Quantized.Contains(i.Name)))
        {
            QuantizeValue(input.Name);
        }

        foreach (var node in graph.Nodes)
        {
            if (node.OpType == "Relu" && plan.ReluOutputs.Contains(node.Outputs[0]))
            {
                // Quantize the Relu's input with the Relu output's parameters (zero point 0): the clamp is the Relu.
                QuantizeValue(node.Outputs[0], rename.GetValueOrDefault(node.Inputs[0], node.Inputs[0]));
                continue;
            }

            var inputs = node.Inputs.Select(i => rename.GetValueOrDefault(i, i)).ToList();
            if (node.OpType is "Conv" or "Gemm" && plan.QuantizedOps.Contains(node))
            {
                var transB = node.Attributes.FirstOrDefault(a => a.Name == "transB")?.Int ?? 0;
                var weights = initializers[node.Inputs[1]];
                var axis = node.OpType == "Gemm" && transB == 0 ? 1 : 0;
                inputs[1] = DequantizedWeights(q, weights, axis, out var weightScales);
                used.Add(weights.Name);
                if (node.Inputs.Count > 2 && !string.IsNullOrEmpty(node.Inputs[2]))
                {
                    var bias = initializers[node.Inputs[2]];
                    inputs[2] = DequantizedBias(q, bias, ParametersOf(node.Inputs[0]).ScaleValue, weightScales);
                    used.Add(bias.Name);
                }
            }

            var outputs = node.Outputs.ToList();
            var quantizedOutputs = new List<(string Tensor, string? From)>();
            for (var o = 0; o < outputs.Count; o++)
            {
                var tensor = outputs[o];
                if (!plan.Quantized.Contains(tensor) || plan.ReluOutputs.Contains(tensor))
                {
                    continue;
                }

                if (outputNames.Contains(tensor))
                {
                    if (!options.QuantizeOutputs)
                    {
                        continue;
                    }

                    outputs[o] = q.Unique(tensor + "_float");
                    quantizedOutputs.Add((tensor, outputs[o]));
                }
                else
                {
                    quantizedOutputs.Add((tensor, null));
                }
            }

            q.Nodes.Add(node with { Inputs = inputs, Outputs = outputs });
            foreach (var (tensor, from) in quantizedOutputs)
            {
                QuantizeValue(tensor, from);
            }
        }

        // Weights and biases now live as int8/int32 copies; every other constant is kept as it was, in its old order.
        var kept = graph.Initializers.Where(i => !used.Contains(i.Name) || graph.Nodes.Any(n => !plan.QuantizedOps.Contains(n) && n.Inputs.Contains(i.Name))).ToList();
        q.Initializers.InsertRange(0, kept);
        return q;
    }

    private static string AddUInt8(OnnxGraph g, string hint, byte value)
    {
        var name = g.Unique(hint);
        g.Initializers.Add(new OnnxInitializer(name, [], null, null, UInt8s: [value]));
        return name;
    }

    private static string DequantizedWeights(OnnxGraph g, OnnxInitializer weights, int axis, out float[] scales)
    {
        var data = weights.Floats ?? throw new ArgumentException($"Weights '{weights.Name}' are not float.", nameof(weights));
        var channels = (int)weights.Dims[axis];
        // Scales along axis 1 of a 2-D [K, N] matrix: transpose view for the computation.
        var ordered = axis == 0 ? data : Transpose2D(data, (int)weights.Dims[0], channels);
        scales = ChannelScales(ordered, channels);
        var per = data.Length / channels;
        var quantized = new sbyte[data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            var c = axis == 0 ? i / per : i % channels;
            quantized[i] = (sbyte)Math.Clamp(MathF.Round(data[i] / scales[c], MidpointRounding.ToEven), -MaxWeightCode, MaxWeightCode);
        }

        var qName = g.Unique(weights.Name + "_quantized");
        g.Initializers.Add(new OnnxInitializer(qName, weights.Dims, null, null, Int8s: quantized));
        var scale = g.AddInitializer(weights.Name + "_scale", [channels], scales);
        var zeroName = g.Unique(weights.Name + "_zero_point");
        g.Initializers.Add(new OnnxInitializer(zeroName, [channels], null, null, Int8s: new sbyte[channels]));
        var output = g.Unique(weights.Name + "_dequantized");
        g.Nodes.Add(new OnnxNode("DequantizeLinear", output + "_node", [qName, scale, zeroName], [output], [OnnxAttribute.Of("axis", (long)axis)]));
        return output;
    }

    private static string DequantizedBias(OnnxGraph g, OnnxInitializer bias, float inputScale, float[] weightScales)
    {
        var data = bias.Floats ?? throw new ArgumentException($"Bias '{bias.Name}' is not float.", nameof(bias));
        var scales = weightScales.Select(w => inputScale * w).ToArray();
        var quantized = new int[data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            quantized[i] = (int)Math.Clamp(Math.Round((double)data[i] / scales[i], MidpointRounding.ToEven), int.MinValue + 1, int.MaxValue);
        }

        var qName = g.Unique(bias.Name + "_quantized");
        g.Initializers.Add(new OnnxInitializer(qName, bias.Dims, null, null, Int32s: quantized));
        var scale = g.AddInitializer(bias.Name + "_scale", [scales.Length], scales);
        var zeroName = g.Unique(bias.Name + "_zero_point");
        g.Initializers.Add(new OnnxInitializer(zeroName, [scales.Length], null, null, Int32s: new int[scales.Length]));
        var output = g.Unique(bias.Name + "_dequantized");
        g.Nodes.Add(new OnnxNode("DequantizeLinear", output + "_node", [qName, scale, zeroName], [output], [OnnxAttribute.Of("axis", 0L)]));
        return output;
    }

    private static float[] Transpose2D(float[] data, int rows, int cols)
    {
        var t = new float[data.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                t[(c * rows) + r] = data[(r * cols) + c];
            }
        }

        return t;
    }

    private static OnnxGraph Copy(OnnxGraph graph)
    {
        var copy = new OnnxGraph(graph.Name);
        copy.Nodes.AddRange(graph.Nodes);
        copy.Initializers.AddRange(graph.Initializers);
        copy.Inputs.AddRange(graph.Inputs);
        copy.Outputs.AddRange(graph.Outputs);
        return copy;
    }

    /// <summary>Which ops and tensors are quantized.</summary>
    private sealed class Plan
    {
        public Plan(OnnxGraph graph, QdqOptions options)
        {
            var constants = graph.Initializers.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            bool Activation(string t) => !string.IsNullOrEmpty(t) && !constants.Contains(t);
            var floatPRelu = options.FloatPRelu ? PReluNodes(graph) : new HashSet<OnnxNode>(ReferenceEqualityComparer.Instance);
            foreach (var node in graph.Nodes)
            {
                var take = !floatPRelu.Contains(node) && node.OpType switch
                {
                    "Conv" or "Gemm" => node.Inputs.Count >= 2 && constants.Contains(node.Inputs[1]) && Activation(node.Inputs[0])
                        && (node.Inputs.Count < 3 || node.Inputs[2].Length == 0 || constants.Contains(node.Inputs[2])),
                    "Add" => node.Inputs.Count == 2 && node.Inputs.All(Activation),
                    "MaxPool" => node.Outputs.Count == 1,
                    "Relu" => true,
                    _ => false,
                };
                if (!take)
                {
                    continue;
                }

                QuantizedOps.Add(node);
                foreach (var t in node.Inputs.Take(node.OpType is "Conv" or "Gemm" ? 1 : 2).Where(Activation).Concat(node.Outputs))
                {
                    if (Quantized.Add(t))
                    {
                        Order.Add(t);
                    }
                }

                if (node.OpType == "MaxPool")
                {
                    SharedWith[node.Outputs[0]] = SharedWith.GetValueOrDefault(node.Inputs[0], node.Inputs[0]);
                }
                else if (node.OpType == "Relu")
                {
                    ReluOutputs.Add(node.Outputs[0]);
                }
            }

            // A Relu's input gets its own pair only if another quantized op reads it; else the Relu's pair (zero point 0)
            // reads the float value directly, and DQ -> Conv -> Relu -> Q fuses as DQ -> Conv -> Q.
            foreach (var relu in graph.Nodes.Where(n => n.OpType == "Relu"))
            {
                var x = relu.Inputs[0];
                if (!graph.Nodes.Any(n => n.OpType != "Relu" && QuantizedOps.Contains(n) && n.Inputs.Contains(x)))
                {
                    Quantized.Remove(x);
                    Order.Remove(x);
                }
            }
        }

        /// <summary>The converter's rank-4 PReLU: Relu(x), depthwise 1x1 convs of x and of Relu(x) without bias, their Add.</summary>
        private static HashSet<OnnxNode> PReluNodes(OnnxGraph graph)
        {
            var shapes = graph.Initializers.ToDictionary(i => i.Name, i => i.Dims, StringComparer.Ordinal);
            var producers = graph.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).ToDictionary(t => t.o, t => t.n, StringComparer.Ordinal);
            bool Depthwise1x1(OnnxNode? n) => n is { OpType: "Conv", Inputs.Count: 2 } && shapes.TryGetValue(n.Inputs[1], out var d)
                && d.Length == 4 && d[1] == 1 && d[2] == 1 && d[3] == 1 && n.Attributes.Any(a => a.Name == "group" && a.Int == d[0]);
            var found = new HashSet<OnnxNode>(ReferenceEqualityComparer.Instance);
            foreach (var add in graph.Nodes.Where(n => n.OpType == "Add" && n.Inputs.Count == 2))
            {
                var a = producers.GetValueOrDefault(add.Inputs[0]);
                var b = producers.GetValueOrDefault(add.Inputs[1]);
                if (!Depthwise1x1(a) || !Depthwise1x1(b))
                {
                    continue;
                }

                var relu = producers.GetValueOrDefault(a!.Inputs[0]) is { OpType: "Relu" } r ? r : producers.GetValueOrDefault(b!.Inputs[0]) is { OpType: "Relu" } r2 ? r2 : null;
                if (relu is not null)
                {
                    found.UnionWith([add, a, b!, relu]);
                }
            }

            return found;
        }

        public HashSet<string> Quantized { get; } = new(StringComparer.Ordinal);

        public List<string> Order { get; } = [];

        public HashSet<OnnxNode> QuantizedOps { get; } = new(ReferenceEqualityComparer.Instance);

        public Dictionary<string, string> SharedWith { get; } = new(StringComparer.Ordinal);

        public HashSet<string> ReluOutputs { get; } = new(StringComparer.Ordinal);
    }
}
