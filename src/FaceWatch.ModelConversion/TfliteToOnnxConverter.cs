using FaceWatch.ModelConversion.Onnx;
using FaceWatch.ModelConversion.Tflite;

namespace FaceWatch.ModelConversion;

/// <summary>
/// Converts a float32 TFLite graph (NHWC) into an ONNX graph (NCHW, IR 8, opset 17). Rank-4 activations are
/// kept in NCHW; constants are re-laid out to match; PReLU subgraphs become depthwise 1x1 convolutions (or PRelu), softmax subgraphs one Softmax op.
/// Deterministic: the same TFLite file and spec always give the same bytes.
/// </summary>
public static class TfliteToOnnxConverter
{
    private static readonly HashSet<TfliteOp> Supported =
    [
        TfliteOp.Conv2D, TfliteOp.DepthwiseConv2D, TfliteOp.FullyConnected, TfliteOp.MaxPool2D, TfliteOp.Relu,
        TfliteOp.Neg, TfliteOp.Abs, TfliteOp.Mul, TfliteOp.Add, TfliteOp.Sub, TfliteOp.Div, TfliteOp.Exp,
        TfliteOp.Sum, TfliteOp.ReduceMax, TfliteOp.Reshape,
    ];

    /// <summary>
    /// Written into every file. Not the assembly version on purpose: the pinned ONNX hashes in models.json change
    /// only when the conversion changes; bump this when it does.
    /// </summary>
    public const string ConverterVersion = "2";

    public static byte[] Convert(string tflitePath, ConversionSpec spec) => Convert(TfliteReader.Read(tflitePath), spec);

    public static byte[] Convert(TfliteModel model, ConversionSpec spec)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        var graph = new Conversion(model, spec).Run();
        return OnnxWriter.Write(graph, ConverterVersion, $"Converted from {model.SourceName} by FaceWatch (NCHW; transpose baked in: {spec.TransposeWidthHeight}).");
    }

    private sealed class Conversion
    {
        private readonly TfliteModel _model;
        private readonly ConversionSpec _spec;
        private readonly OnnxGraph _graph;
        private readonly string?[] _names;
        private readonly int[] _producer;
        private readonly List<int>[] _consumers;
        private readonly Dictionary<int, Func<string>> _fusedAt = [];
        private readonly HashSet<int> _fused = [];
        private readonly Dictionary<int, TfliteOperator> _preluByInput = [];
        private readonly Dictionary<int, int> _padOutputs = [];
        private readonly Dictionary<int, int> _padInputs = [];
        private readonly Dictionary<int, int> _padSlopes = [];

        public Conversion(TfliteModel model, ConversionSpec spec)
        {
            _model = model;
            _spec = spec;
            _graph = new OnnxGraph(Path.GetFileNameWithoutExtension(spec.OutputFile));
            _names = new string?[model.Tensors.Count];
            _producer = Enumerable.Repeat(-1, model.Tensors.Count).ToArray();
            _consumers = Enumerable.Range(0, model.Tensors.Count).Select(_ => new List<int>()).ToArray();
            foreach (var op in model.Operators)
            {
                foreach (var o in op.Outputs)
                {
                    _producer[o] = op.Index;
                }

                foreach (var i in op.Inputs.Where(i => i >= 0).Distinct())
                {
                    _consumers[i].Add(op.Index);
                }
            }
        }

        private string File => _model.SourceName;

        public OnnxGraph Run()
        {
            Validate();
            AddInput();
            FindPRelu();
            FindChannelPadding();
            FindSoftmax();
            foreach (var op in _model.Operators)
            {
                if (_fusedAt.TryGetValue(op.Index, out var emit))
                {
                    _names[op.Outputs[0]] = emit();
                }
                else if (!_fused.Contains(op.Index))
                {
                    Emit(op);
                }
            }

            AddOutputs();
            return _graph;
        }

        private void Validate()
        {
            foreach (var op in _model.Operators)
            {
                if (!Supported.Contains(op.Op)) // also false for codes the enum does not name
                {
                    throw new ModelConversionException($"'{File}': operator {op.Index} is the unsupported TFLite op {TfliteOpNames.Of(op.Code)}.");
                }

                foreach (var t in op.Outputs.Concat(op.Inputs.Take(1)))
                {
                    if (_model.Tensors[t].Type != TfliteTensorType.Float32)
                    {
                        throw new ModelConversionException(
                            $"'{File}': operator {op.Index} ({TfliteOpNames.Of(op.Code)}) uses tensor '{_model.Tensors[t].Name}' of unsupported type {_model.Tensors[t].Type}; only float32 is supported.");
                    }
                }
            }

            if (_model.Inputs.Count != 1)
            {
                throw new ModelConversionException($"'{File}' has {_model.Inputs.Count} inputs; exactly one image input is supported.");
            }
        }

        private TfliteTensor T(int index) => _model.Tensors[index];

        private int Rank(int index) => T(index).Shape.Length;

        private void AddInput()
        {
            var input = T(_model.Inputs[0]);
            if (input.Shape.Length != 4)
            {
                throw new ModelConversionException($"'{File}': input '{input.Name}' has rank {input.Shape.Length}; an NHWC image input is expected.");
            }

            object batch = _spec.DynamicBatch ? "batch" : input.Shape[0];
            object h = _spec.DynamicSpatial ? "height" : (_spec.TransposeWidthHeight ? input.Shape[2] : input.Shape[1]);
            object w = _spec.DynamicSpatial ? "width" : (_spec.TransposeWidthHeight ? input.Shape[1] : input.Shape[2]);
            _graph.Inputs.Add(new OnnxValueInfo(_graph.Unique(ConversionSpec.InputName), [batch, input.Shape[3], h, w]));
            // The MTCNN weights see images with width and height swapped: swap them here so callers feed upright images.
            _names[input.Index] = _spec.TransposeWidthHeight
                ? _graph.Add("Transpose", "input_transposed", [ConversionSpec.InputName], OnnxAttribute.Of("perm", 0L, 1, 3, 2))
                : ConversionSpec.InputName;
        }

        private void AddOutputs()
        {
            if (_model.Outputs.Count != _spec.Outputs.Count)
            {
                throw new ModelConversionException($"'{File}' has {_model.Outputs.Count} outputs but {_spec.Outputs.Count} are mapped.");
            }

            foreach (var mapping in _spec.Outputs)
            {
                var index = _model.Outputs.FirstOrDefault(o => T(o).Name == mapping.TfliteName, -1);
                if (index < 0)
                {
                    throw new ModelConversionException($"'{File}' has no output tensor named '{mapping.TfliteName}'.");
                }

                var tensor = T(index);
                object batch = _spec.DynamicBatch ? "batch" : tensor.Shape[0];
                var name = _graph.Unique(mapping.OnnxName);
                if (tensor.Shape.Length == 4)
                {
                    var channels = tensor.Shape[3];
                    object oh = _spec.DynamicSpatial ? "out_height" : (_spec.TransposeWidthHeight ? tensor.Shape[2] : tensor.Shape[1]);
                    object ow = _spec.DynamicSpatial ? "out_width" : (_spec.TransposeWidthHeight ? tensor.Shape[1] : tensor.Shape[2]);
                    _graph.Nodes.Add(_spec.TransposeWidthHeight
                        ? new OnnxNode("Transpose", $"output_{name}", [Name(index)], [name], [OnnxAttribute.Of("perm", 0L, 1, 3, 2)])
                        : new OnnxNode("Identity", $"output_{name}", [Name(index)], [name], []));
                    _graph.Outputs.Add(new OnnxValueInfo(name, [batch, channels, oh, ow]));
                }
                else if (tensor.Shape.Length == 2)
                {
                    _graph.Nodes.Add(new OnnxNode("Identity", $"output_{name}", [Name(index)], [name], []));
                    _graph.Outputs.Add(new OnnxValueInfo(name, [batch, tensor.Shape[1]]));
                }
                else
                {
                    throw new ModelConversionException($"'{File}': output '{tensor.Name}' has unsupported rank {tensor.Shape.Length}.");
                }
            }
        }

        private string Name(int tensor) =>
            _names[tensor] ?? throw new ModelConversionException($"'{File}': tensor '{T(tensor).Name}' is used before it is computed.");

        // ---- pattern fusion ------------------------------------------------------------------------------------

        private TfliteOperator? ProducerOf(int tensor, TfliteOp op) =>
            tensor >= 0 && _producer[tensor] >= 0 && _model.Operators[_producer[tensor]] is { } p && p.Code == (int)op ? p : null;

        private static bool Plain(TfliteOperator op) => op.Options.Activation == TfliteActivation.None;

        /// <summary>Intermediate tensors may only feed the pattern itself, never other ops or graph outputs.</summary>
        private bool Private(IEnumerable<int> tensors, HashSet<int> patternOps) =>
            tensors.All(t => !_model.Outputs.Contains(t) && _consumers[t].All(patternOps.Contains));

        private float[]? ChannelConstant(int tensor, int channels) =>
            tensor >= 0 && T(tensor).Data is { } data && data.Length == channels ? data : null;

        /// <summary>
        /// relu(x) + alpha * (-relu(-x))   (MTCNN) or   relu(x) + m * (x - |x|)   (MobileFaceNet, slope 2m)
        /// both equal PRelu(x, slope).
        /// </summary>
        private void FindPRelu()
        {
            foreach (var add in _model.Operators.Where(o => o.Op == TfliteOp.Add && o.Inputs.Length == 2 && Plain(o)))
            {
                TryFusePRelu(add);
            }
        }

        private bool TryFusePRelu(TfliteOperator add)
        {
            for (var side = 0; side < 2; side++)
            {
                if (ProducerOf(add.Inputs[side], TfliteOp.Relu) is not { } relu
                    || ProducerOf(add.Inputs[1 - side], TfliteOp.Mul) is not { } mul || !Plain(mul))
                {
                    continue;
                }

                var x = relu.Inputs[0];
                var rank = Rank(x);
                var channels = T(x).Shape[^1];
                for (var k = 0; k < 2; k++)
                {
                    if (ChannelConstant(mul.Inputs[k], channels) is not { } factor)
                    {
                        continue;
                    }

                    var other = mul.Inputs[1 - k];
                    List<TfliteOperator>? chain = null;
                    float scale = 1;
                    if (ProducerOf(other, TfliteOp.Neg) is { } neg1
                        && ProducerOf(neg1.Inputs[0], TfliteOp.Relu) is { } relu2
                        && ProducerOf(relu2.Inputs[0], TfliteOp.Neg) is { } neg0 && neg0.Inputs[0] == x)
                    {
                        chain = [neg1, relu2, neg0];
                    }
                    else if (ProducerOf(other, TfliteOp.Sub) is { } sub && Plain(sub) && sub.Inputs[0] == x
                        && ProducerOf(sub.Inputs[1], TfliteOp.Abs) is { } abs && abs.Inputs[0] == x)
                    {
                        chain = [sub, abs];
                        scale = 2;
                    }

                    if (chain is null)
                    {
                        continue;
                    }

                    HashSet<int> ops = [add.Index, relu.Index, mul.Index, .. chain.Select(c => c.Index)];
                    var intermediates = chain.Select(c => c.Outputs[0]).Append(relu.Outputs[0]).Append(mul.Outputs[0]);
                    if (!Private(intermediates, ops))
                    {
                        continue;
                    }

                    ops.Remove(add.Index);
                    _fused.UnionWith(ops);
                    var slope = factor.Select(f => f * scale).ToArray();
                    var input = x;
                    var output = add.Outputs[0];
                    var addIndex = add.Index;
                    _preluByInput[x] = add;
                    var slopeName = T(mul.Inputs[k]).Name + (scale == 1 ? "" : "_x2");
                    _fusedAt[add.Index] = () =>
                    {
                        var padded = _padSlopes.TryGetValue(addIndex, out var p) ? [.. slope, .. new float[p - slope.Length]] : slope;
                        return EmitPRelu(Name(input), T(output).Name, slopeName, padded, rank);
                    };
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// conv (C outputs) -> PReLU -> MaxPool -> conv, with C not a multiple of 16 (P-Net's first layer: 10): the first
        /// conv gets zero filters up to a multiple of 16, the slopes zeros, the second conv zero weights for the extra
        /// inputs. Same result; ONNX Runtime then keeps the chain in its blocked NCHWc layout (block 8 or 16) instead
        /// of reordering the largest tensor of the net back and forth around a plain-NCHW grouped convolution.
        /// </summary>
        private void FindChannelPadding()
        {
            foreach (var conv in _model.Operators.Where(o => o.Op == TfliteOp.Conv2D && Plain(o)))
            {
                var x = conv.Outputs[0];
                var channels = T(x).Shape[^1];
                if (channels % 16 == 0 || Rank(x) != 4 || _model.Outputs.Contains(x)
                    || !_preluByInput.TryGetValue(x, out var prelu) || !_consumers[x].All(_fused.Contains))
                {
                    continue;
                }

                var activated = prelu.Outputs[0];
                if (_model.Outputs.Contains(activated) || _consumers[activated].Count != 1
                    || _model.Operators[_consumers[activated][0]] is not { Op: TfliteOp.MaxPool2D } pool)
                {
                    continue;
                }

                var pooled = pool.Outputs[0];
                if (_model.Outputs.Contains(pooled) || _consumers[pooled].Count != 1
                    || _model.Operators[_consumers[pooled][0]] is not { Op: TfliteOp.Conv2D } next || next.Inputs[0] != pooled)
                {
                    continue;
                }

                var padded = (channels + 15) / 16 * 16;
                _padOutputs[conv.Index] = padded;
                _padSlopes[prelu.Index] = padded;
                _padInputs[next.Index] = padded;
            }
        }

        /// <summary>
        /// Rank 4: PReLU(x) = slope * x + (1 - slope) * relu(x), both products as depthwise 1x1 convolutions.
        /// ONNX Runtime's PRelu kernel is a scalar per-channel loop with no NCHWc form (it was 45-65% of the time of
        /// every net, plus layout reorders around it); Conv, Relu and Add all stay in NCHWc and run vectorised,
        /// about 2x faster per net (docs/models.md). Rank 2 (after fully connected layers) is tiny: plain PRelu.
        /// </summary>
        private string EmitPRelu(string x, string outName, string slopeName, float[] slope, int rank)
        {
            var c = slope.Length;
            if (rank != 4)
            {
                return _graph.Add("PRelu", outName, [x, _graph.AddInitializer(slopeName, [c], slope)]);
            }

            var linear = _graph.AddInitializer(slopeName, [c, 1, 1, 1], slope);
            var positive = _graph.AddInitializer(slopeName + "_1m", [c, 1, 1, 1], slope.Select(v => 1 - v).ToArray());
            OnnxAttribute[] depthwise = [OnnxAttribute.Of("group", (long)c), OnnxAttribute.Of("kernel_shape", 1L, 1L)];
            var relu = _graph.Add("Relu", outName + "_relu", [x]);
            var scaled = _graph.Add("Conv", outName + "_linear", [x, linear], depthwise);
            var scaledRelu = _graph.Add("Conv", outName + "_positive", [relu, positive], depthwise);
            return _graph.Add("Add", outName, [scaledRelu, scaled]);
        }

        /// <summary>exp(x - max(x)) / sum(exp(x - max(x))) over the last (channel) axis is Softmax over ONNX axis 1.</summary>
        private void FindSoftmax()
        {
            foreach (var div in _model.Operators.Where(o => o.Op == TfliteOp.Div && Plain(o)))
            {
                if (ProducerOf(div.Inputs[0], TfliteOp.Exp) is not { } exp
                    || ProducerOf(div.Inputs[1], TfliteOp.Sum) is not { } sum || sum.Inputs[0] != exp.Outputs[0]
                    || ProducerOf(exp.Inputs[0], TfliteOp.Sub) is not { } sub || !Plain(sub)
                    || ProducerOf(sub.Inputs[1], TfliteOp.ReduceMax) is not { } max || max.Inputs[0] != sub.Inputs[0])
                {
                    continue;
                }

                var x = sub.Inputs[0];
                var last = Rank(x) - 1;
                if (!IsLastAxis(sum, last) || !IsLastAxis(max, last))
                {
                    continue;
                }

                HashSet<int> ops = [div.Index, exp.Index, sum.Index, sub.Index, max.Index];
                if (!Private([exp.Outputs[0], sum.Outputs[0], sub.Outputs[0], max.Outputs[0]], ops))
                {
                    continue;
                }

                ops.Remove(div.Index);
                _fused.UnionWith(ops);
                var output = div.Outputs[0];
                _fusedAt[div.Index] = () => _graph.Add("Softmax", T(output).Name, [Name(x)], OnnxAttribute.Of("axis", 1L));
            }
        }

        private bool IsLastAxis(TfliteOperator reduce, int last) =>
            reduce.Options.KeepDims && reduce.Inputs.Length == 2 && T(reduce.Inputs[1]).IntData is { Length: 1 } axes
            && (axes[0] == last || axes[0] == -1);

        // ---- generic op emission -------------------------------------------------------------------------------

        private void Emit(TfliteOperator op)
        {
            var output = op.Outputs[0];
            var hint = T(output).Name;
            string result = op.Op switch
            {
                TfliteOp.Conv2D => Conv(op, depthwise: false),
                TfliteOp.DepthwiseConv2D => Conv(op, depthwise: true),
                TfliteOp.MaxPool2D => MaxPool(op),
                TfliteOp.FullyConnected => FullyConnected(op),
                TfliteOp.Relu => _graph.Add("Relu", hint, [Name(op.Inputs[0])]),
                TfliteOp.Neg => _graph.Add("Neg", hint, [Name(op.Inputs[0])]),
                TfliteOp.Abs => _graph.Add("Abs", hint, [Name(op.Inputs[0])]),
                TfliteOp.Exp => _graph.Add("Exp", hint, [Name(op.Inputs[0])]),
                TfliteOp.Add => Binary(op, "Add"),
                TfliteOp.Sub => Binary(op, "Sub"),
                TfliteOp.Mul => Binary(op, "Mul"),
                TfliteOp.Div => Binary(op, "Div"),
                TfliteOp.Sum or TfliteOp.ReduceMax => Reduce(op),
                TfliteOp.Reshape => Reshape(op),
                _ => throw new ModelConversionException($"'{File}': operator {op.Index} is the unsupported TFLite op {TfliteOpNames.Of(op.Code)}."),
            };
            _names[output] = Activation(op, result, hint);
        }

        private string Activation(TfliteOperator op, string value, string hint) => op.Options.Activation switch
        {
            TfliteActivation.None => value,
            TfliteActivation.Relu => _graph.Add("Relu", hint + "_relu", [value]),
            TfliteActivation.Relu6 => _graph.Add("Clip", hint + "_relu6", [value, Scalar(hint + "_min", 0), Scalar(hint + "_max", 6)]),
            var other => throw new ModelConversionException($"'{File}': operator {op.Index} ({TfliteOpNames.Of(op.Code)}) has unsupported fused activation {other}."),
        };

        private string Scalar(string hint, float value) => _graph.AddInitializer(hint, [], [value]);

        private float[] ConstantData(TfliteOperator op, int tensor) =>
            tensor >= 0 && T(tensor).Data is { } data
                ? data
                : throw new ModelConversionException($"'{File}': operator {op.Index} ({TfliteOpNames.Of(op.Code)}) needs constant weights in input '{(tensor >= 0 ? T(tensor).Name : "(none)")}'.");

        private (long[] Pads, string? AutoPad) Padding(TfliteOperator op, int input, int kh, int kw)
        {
            var o = op.Options;
            if (o.Padding == TflitePadding.Valid)
            {
                return ([0, 0, 0, 0], null);
            }

            var effH = ((kh - 1) * o.DilationH) + 1;
            var effW = ((kw - 1) * o.DilationW) + 1;
            if (effH == 1 && effW == 1 && o.StrideH == 1 && o.StrideW == 1)
            {
                return ([0, 0, 0, 0], null);
            }

            if (_spec.DynamicSpatial)
            {
                // Sizes are only known at run time: SAME_UPPER is TensorFlow's SAME (extra padding at the end).
                return ([], "SAME_UPPER");
            }

            var (top, bottom) = SamePads(T(input).Shape[1], effH, o.StrideH);
            var (left, right) = SamePads(T(input).Shape[2], effW, o.StrideW);
            return ([top, left, bottom, right], null);
        }

        private static (long Before, long After) SamePads(int size, int effectiveKernel, int stride)
        {
            var outSize = (size + stride - 1) / stride;
            var total = Math.Max(((outSize - 1) * stride) + effectiveKernel - size, 0);
            return (total / 2, total - (total / 2));
        }

        private string Conv(TfliteOperator op, bool depthwise)
        {
            var input = op.Inputs[0];
            var weights = T(op.Inputs[1]);
            var data = ConstantData(op, weights.Index);
            if (weights.Shape.Length != 4 || Rank(input) != 4)
            {
                throw new ModelConversionException($"'{File}': operator {op.Index} ({TfliteOpNames.Of(op.Code)}) expects 4-D input and weights.");
            }

            // TFLite conv weights are [O,KH,KW,I], depthwise [1,KH,KW,C*M]; ONNX wants [O,I,KH,KW] and [C*M,1,KH,KW].
            var (outC, kh, kw, inC) = depthwise
                ? (weights.Shape[3], weights.Shape[1], weights.Shape[2], 1)
                : (weights.Shape[0], weights.Shape[1], weights.Shape[2], weights.Shape[3]);
            var oihw = new float[data.Length];
            for (var o = 0; o < outC; o++)
            {
                for (var y = 0; y < kh; y++)
                {
                    for (var x = 0; x < kw; x++)
                    {
                        for (var i = 0; i < inC; i++)
                        {
                            var src = depthwise ? (((y * kw) + x) * outC) + o : (((((o * kh) + y) * kw) + x) * inC) + i;
                            oihw[(((((o * inC) + i) * kh) + y) * kw) + x] = data[src];
                        }
                    }
                }
            }

            var bias = op.BiasInput is { } biasIndex ? ConstantData(op, biasIndex) : null;
            if (_padInputs.TryGetValue(op.Index, out var paddedIn))
            {
                // Zero weights for the zero channels FindChannelPadding added to the input.
                var wider = new float[outC * paddedIn * kh * kw];
                for (var o = 0; o < outC; o++)
                {
                    Array.Copy(oihw, o * inC * kh * kw, wider, o * paddedIn * kh * kw, inC * kh * kw);
                }

                (oihw, inC) = (wider, paddedIn);
            }

            if (_padOutputs.TryGetValue(op.Index, out var paddedOut))
            {
                // Zero filters (and biases) for the extra output channels.
                Array.Resize(ref oihw, paddedOut * inC * kh * kw);
                if (bias is not null)
                {
                    bias = [.. bias, .. new float[paddedOut - outC]];
                }

                outC = paddedOut;
            }

            List<string> inputs = [Name(input), _graph.AddInitializer(weights.Name, [outC, inC, kh, kw], oihw)];
            if (bias is not null)
            {
                inputs.Add(_graph.AddInitializer(T(op.Inputs[2]).Name, [outC], bias));
            }

            var o2 = op.Options;
            List<OnnxAttribute> attributes =
            [
                OnnxAttribute.Of("kernel_shape", kh, kw),
                OnnxAttribute.Of("strides", o2.StrideH, o2.StrideW),
                OnnxAttribute.Of("dilations", o2.DilationH, o2.DilationW),
            ];
            if (depthwise)
            {
                var channels = T(input).Shape[3];
                if (channels * o2.DepthMultiplier != outC)
                {
                    throw new ModelConversionException($"'{File}': operator {op.Index} (DepthwiseConv2D) has {channels} channels x {o2.DepthMultiplier} != {outC} outputs.");
                }

                attributes.Add(OnnxAttribute.Of("group", (long)channels));
            }

            AddPadding(op, input, kh, kw, attributes);
            return _graph.Add("Conv", T(op.Outputs[0]).Name, inputs, [.. attributes]);
        }

        private void AddPadding(TfliteOperator op, int input, int kh, int kw, List<OnnxAttribute> attributes)
        {
            var (pads, autoPad) = Padding(op, input, kh, kw);
            attributes.Add(autoPad is null ? OnnxAttribute.Of("pads", pads) : OnnxAttribute.Of("auto_pad", autoPad));
        }

        private string MaxPool(TfliteOperator op)
        {
            var o = op.Options;
            List<OnnxAttribute> attributes =
            [
                OnnxAttribute.Of("kernel_shape", o.FilterH, o.FilterW),
                OnnxAttribute.Of("strides", o.StrideH, o.StrideW),
            ];
            AddPadding(op, op.Inputs[0], o.FilterH, o.FilterW, attributes);
            return _graph.Add("MaxPool", T(op.Outputs[0]).Name, [Name(op.Inputs[0])], [.. attributes]);
        }

        private string FullyConnected(TfliteOperator op)
        {
            var input = op.Inputs[0];
            var weights = T(op.Inputs[1]);
            if (weights.Shape.Length != 2 || op.Options.KeepDims || Rank(op.Outputs[0]) != 2)
            {
                throw new ModelConversionException($"'{File}': operator {op.Index} (FullyConnected) has an unsupported shape (weights rank {weights.Shape.Length}, keep_num_dims {op.Options.KeepDims}).");
            }

            var x = Name(input);
            if (Rank(input) == 4)
            {
                // TFLite flattens in NHWC order: go back to NHWC before flattening.
                var nhwc = _graph.Add("Transpose", T(input).Name + "_nhwc", [x], OnnxAttribute.Of("perm", 0L, 2, 3, 1));
                x = _graph.Add("Flatten", T(input).Name + "_flat", [nhwc], OnnxAttribute.Of("axis", 1L));
            }
            else if (Rank(input) != 2)
            {
                throw new ModelConversionException($"'{File}': operator {op.Index} (FullyConnected) has input of unsupported rank {Rank(input)}.");
            }

            List<string> inputs = [x, _graph.AddInitializer(weights.Name, [weights.Shape[0], weights.Shape[1]], ConstantData(op, weights.Index))];
            if (op.BiasInput is { } biasIndex)
            {
                inputs.Add(_graph.AddInitializer(T(biasIndex).Name, [weights.Shape[0]], ConstantData(op, biasIndex)));
            }

            return _graph.Add("Gemm", T(op.Outputs[0]).Name, inputs, OnnxAttribute.Of("transB", 1L));
        }

        private string Binary(TfliteOperator op, string onnxOp)
        {
            var rank = op.Inputs.Where(i => T(i).Data is null).Select(Rank).DefaultIfEmpty(0).Max();
            var operands = op.Inputs.Select(i => Operand(op, i, rank)).ToArray();
            return _graph.Add(onnxOp, T(op.Outputs[0]).Name, operands);
        }

        /// <summary>A binary operand: activations as they are; constants re-laid out from NHWC broadcasting to NCHW.</summary>
        private string Operand(TfliteOperator op, int tensor, int contextRank)
        {
            var t = T(tensor);
            if (t.Data is null)
            {
                if (Rank(tensor) != contextRank)
                {
                    throw new ModelConversionException($"'{File}': operator {op.Index} ({TfliteOpNames.Of(op.Code)}) mixes tensors of rank {Rank(tensor)} and {contextRank}.");
                }

                return Name(tensor);
            }

            if (contextRank != 4 || t.Data.Length == 1)
            {
                return _graph.AddInitializer(t.Name, t.Shape.Select(d => (long)d).ToArray(), t.Data);
            }

            // Right-align to NHWC [N,H,W,C], then lay the data out as NCHW.
            var nhwc = Enumerable.Repeat(1, 4 - t.Shape.Length).Concat(t.Shape).ToArray();
            var (n, h, w, c) = (nhwc[0], nhwc[1], nhwc[2], nhwc[3]);
            var nchw = new float[t.Data.Length];
            for (var b = 0; b < n; b++)
            {
                for (var y = 0; y < h; y++)
                {
                    for (var x = 0; x < w; x++)
                    {
                        for (var ch = 0; ch < c; ch++)
                        {
                            nchw[(((((b * c) + ch) * h) + y) * w) + x] = t.Data[(((((b * h) + y) * w) + x) * c) + ch];
                        }
                    }
                }
            }

            return _graph.AddInitializer(t.Name + "_nchw", [n, c, h, w], nchw);
        }

        private static readonly int[] NhwcToNchwAxis = [0, 2, 3, 1];

        private string Reduce(TfliteOperator op)
        {
            var input = op.Inputs[0];
            var rank = Rank(input);
            if (op.Inputs.Length < 2 || T(op.Inputs[1]).IntData is not { } axes)
            {
                throw new ModelConversionException($"'{File}': operator {op.Index} ({TfliteOpNames.Of(op.Code)}) needs constant int32 axes.");
            }

            if (rank == 4 && !op.Options.KeepDims)
            {
                throw new ModelConversionException($"'{File}': operator {op.Index} ({TfliteOpNames.Of(op.Code)}) drops dimensions of a 4-D tensor (keep_dims false), which is not supported.");
            }

            var mapped = axes.Select(a => (long)(rank == 4 ? NhwcToNchwAxis[(a + rank) % rank] : a)).ToArray();
            var keep = OnnxAttribute.Of("keepdims", op.Options.KeepDims ? 1L : 0L);
            var hint = T(op.Outputs[0]).Name;
            return op.Op == TfliteOp.Sum
                ? _graph.Add("ReduceSum", hint, [Name(input), _graph.AddInitializer(hint + "_axes", [mapped.Length], mapped)], keep)
                : _graph.Add("ReduceMax", hint, [Name(input)], OnnxAttribute.Of("axes", mapped), keep);
        }

        private string Reshape(TfliteOperator op)
        {
            var input = op.Inputs[0];
            var output = op.Outputs[0];
            var shape = op.Options.NewShape ?? (op.Inputs.Length > 1 ? T(op.Inputs[1]).IntData : null) ?? T(output).Shape;
            var x = Name(input);
            var hint = T(output).Name;
            if (Rank(input) == 4)
            {
                // TFLite reshapes NHWC memory: go back to NHWC first so element order matches.
                x = _graph.Add("Transpose", T(input).Name + "_nhwc", [x], OnnxAttribute.Of("perm", 0L, 2, 3, 1));
            }

            // Keep the batch dimension as it comes (0 = copy), so a dynamic batch passes through.
            var target = shape.Select((d, i) => i == 0 && d == T(input).Shape[0] ? 0L : d).ToArray();
            var reshaped = _graph.Add("Reshape", Rank(output) == 4 ? hint + "_nhwc" : hint, [x, _graph.AddInitializer(hint + "_shape", [target.Length], target)]);
            return Rank(output) == 4
                ? _graph.Add("Transpose", hint, [reshaped], OnnxAttribute.Of("perm", 0L, 3, 1, 2))
                : reshaped;
        }
    }
}
