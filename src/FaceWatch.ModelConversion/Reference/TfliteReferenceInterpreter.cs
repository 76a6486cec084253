using FaceWatch.ModelConversion.Tflite;

namespace FaceWatch.ModelConversion.Reference;

/// <summary>An NHWC float32 tensor.</summary>
public sealed record NhwcTensor(int[] Shape, float[] Data)
{
    public int Size => Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// A deliberately plain interpreter of a TFLite graph (NHWC, straight loops, TFLite semantics), independent of the
/// converter: the tests compare ONNX Runtime on the converted graph against it. Input sizes may differ from the
/// shapes stored in the file (batch, and height/width for P-Net); every output shape is computed here.
/// </summary>
public static class TfliteReferenceInterpreter
{
    public static IReadOnlyDictionary<string, NhwcTensor> Run(TfliteModel model, NhwcTensor input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        var values = new NhwcTensor?[model.Tensors.Count];
        values[model.Inputs[0]] = input;
        NhwcTensor Get(int i) => values[i] ?? (model.Tensors[i].Data is { } d
            ? new NhwcTensor(model.Tensors[i].Shape, d)
            : throw new InvalidOperationException($"Tensor {model.Tensors[i].Name} not computed"));

        foreach (var op in model.Operators)
        {
            var a = Get(op.Inputs[0]);
            NhwcTensor result = op.Op switch
            {
                TfliteOp.Conv2D => Conv(a, Get(op.Inputs[1]), op.BiasInput is { } bias ? Get(bias) : null, op.Options, false),
                TfliteOp.DepthwiseConv2D => Conv(a, Get(op.Inputs[1]), op.BiasInput is { } bias ? Get(bias) : null, op.Options, true),
                TfliteOp.MaxPool2D => MaxPool(a, op.Options),
                TfliteOp.FullyConnected => FullyConnected(a, Get(op.Inputs[1]), op.BiasInput is { } bias ? Get(bias) : null),
                TfliteOp.Relu => Map(a, v => Math.Max(v, 0f)),
                TfliteOp.Neg => Map(a, v => -v),
                TfliteOp.Abs => Map(a, MathF.Abs),
                TfliteOp.Exp => Map(a, MathF.Exp),
                TfliteOp.Add => Broadcast(a, Get(op.Inputs[1]), (x, y) => x + y),
                TfliteOp.Sub => Broadcast(a, Get(op.Inputs[1]), (x, y) => x - y),
                TfliteOp.Mul => Broadcast(a, Get(op.Inputs[1]), (x, y) => x * y),
                TfliteOp.Div => Broadcast(a, Get(op.Inputs[1]), (x, y) => x / y),
                TfliteOp.Sum => Reduce(a, model.Tensors[op.Inputs[1]].IntData!, op.Options.KeepDims, 0f, (x, y) => x + y),
                TfliteOp.ReduceMax => Reduce(a, model.Tensors[op.Inputs[1]].IntData!, op.Options.KeepDims, float.NegativeInfinity, Math.Max),
                TfliteOp.Reshape => Reshape(a, op.Options.NewShape ?? model.Tensors[op.Inputs[1]].IntData!),
                _ => throw new ModelConversionException($"Reference interpreter: unsupported op {TfliteOpNames.Of(op.Code)}"),
            };
            values[op.Outputs[0]] = op.Options.Activation switch
            {
                TfliteActivation.None => result,
                TfliteActivation.Relu => Map(result, v => Math.Max(v, 0f)),
                TfliteActivation.Relu6 => Map(result, v => Math.Clamp(v, 0f, 6f)),
                var other => throw new ModelConversionException($"Reference interpreter: unsupported activation {other}"),
            };
        }

        return model.Outputs.ToDictionary(o => model.Tensors[o].Name, o => values[o]!);
    }

    private static NhwcTensor Map(NhwcTensor a, Func<float, float> f) => new(a.Shape, a.Data.Select(f).ToArray());

    private static NhwcTensor Broadcast(NhwcTensor a, NhwcTensor b, Func<float, float, float> f)
    {
        var rank = Math.Max(a.Shape.Length, b.Shape.Length);
        var sa = Enumerable.Repeat(1, rank - a.Shape.Length).Concat(a.Shape).ToArray();
        var sb = Enumerable.Repeat(1, rank - b.Shape.Length).Concat(b.Shape).ToArray();
        var so = sa.Zip(sb, Math.Max).ToArray();
        var total = so.Aggregate(1, (x, y) => x * y);
        var result = new float[total];
        var index = new int[rank];
        for (var flat = 0; flat < total; flat++)
        {
            var rem = flat;
            for (var d = rank - 1; d >= 0; d--)
            {
                index[d] = rem % so[d];
                rem /= so[d];
            }

            int ia = 0, ib = 0;
            for (var d = 0; d < rank; d++)
            {
                ia = (ia * sa[d]) + (sa[d] == 1 ? 0 : index[d]);
                ib = (ib * sb[d]) + (sb[d] == 1 ? 0 : index[d]);
            }

            result[flat] = f(a.Data[ia], b.Data[ib]);
        }

        return new NhwcTensor(so, result);
    }

    private static NhwcTensor Reduce(NhwcTensor a, int[] axes, bool keepDims, float seed, Func<float, float, float> f)
    {
        var rank = a.Shape.Length;
        var reduced = axes.Select(x => (x + rank) % rank).ToHashSet();
        var outShape = a.Shape.Select((d, i) => reduced.Contains(i) ? 1 : d).ToArray();
        var result = Enumerable.Repeat(seed, outShape.Aggregate(1, (x, y) => x * y)).ToArray();
        var index = new int[rank];
        for (var flat = 0; flat < a.Data.Length; flat++)
        {
            var rem = flat;
            for (var d = rank - 1; d >= 0; d--)
            {
                index[d] = rem % a.Shape[d];
                rem /= a.Shape[d];
            }

            var o = 0;
            for (var d = 0; d < rank; d++)
            {
                o = (o * outShape[d]) + (reduced.Contains(d) ? 0 : index[d]);
            }

            result[o] = f(result[o], a.Data[flat]);
        }

        return new NhwcTensor(keepDims ? outShape : outShape.Where((_, i) => !reduced.Contains(i)).ToArray(), result);
    }

    private static NhwcTensor Reshape(NhwcTensor a, int[] newShape)
    {
        // The stored shape has the batch size of the file; keep the element count of the actual input.
        var shape = newShape.ToArray();
        var known = shape.Skip(1).Where(d => d > 0).Aggregate(1, (x, y) => x * y);
        shape[0] = a.Data.Length / known;
        return new NhwcTensor(shape, a.Data);
    }

    private static (int Out, int PadBefore) Same(int size, int effectiveKernel, int stride, TflitePadding padding)
    {
        if (padding == TflitePadding.Valid)
        {
            return (((size - effectiveKernel) / stride) + 1, 0);
        }

        var outSize = (size + stride - 1) / stride;
        var total = Math.Max(((outSize - 1) * stride) + effectiveKernel - size, 0);
        return (outSize, total / 2);
    }

    private static NhwcTensor Conv(NhwcTensor x, NhwcTensor w, NhwcTensor? bias, TfliteOptions o, bool depthwise)
    {
        int n = x.Shape[0], h = x.Shape[1], wd = x.Shape[2], c = x.Shape[3];
        int kh = w.Shape[1], kw = w.Shape[2];
        var outC = depthwise ? w.Shape[3] : w.Shape[0];
        var multiplier = depthwise ? outC / c : 1;
        var (oh, padTop) = Same(h, ((kh - 1) * o.DilationH) + 1, o.StrideH, o.Padding);
        var (ow, padLeft) = Same(wd, ((kw - 1) * o.DilationW) + 1, o.StrideW, o.Padding);
        var result = new float[n * oh * ow * outC];
        for (var b = 0; b < n; b++)
        {
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    for (var oc = 0; oc < outC; oc++)
                    {
                        double sum = bias?.Data[oc] ?? 0;
                        for (var ky = 0; ky < kh; ky++)
                        {
                            var iy = (oy * o.StrideH) - padTop + (ky * o.DilationH);
                            if (iy < 0 || iy >= h)
                            {
                                continue;
                            }

                            for (var kx = 0; kx < kw; kx++)
                            {
                                var ix = (ox * o.StrideW) - padLeft + (kx * o.DilationW);
                                if (ix < 0 || ix >= wd)
                                {
                                    continue;
                                }

                                var pixel = (((b * h) + iy) * wd + ix) * c;
                                if (depthwise)
                                {
                                    sum += x.Data[pixel + (oc / multiplier)] * w.Data[(((ky * kw) + kx) * outC) + oc];
                                }
                                else
                                {
                                    var weight = (((oc * kh) + ky) * kw + kx) * c;
                                    for (var ic = 0; ic < c; ic++)
                                    {
                                        sum += x.Data[pixel + ic] * w.Data[weight + ic];
                                    }
                                }
                            }
                        }

                        result[((((b * oh) + oy) * ow) + ox) * outC + oc] = (float)sum;
                    }
                }
            }
        }

        return new NhwcTensor([n, oh, ow, outC], result);
    }

    private static NhwcTensor MaxPool(NhwcTensor x, TfliteOptions o)
    {
        int n = x.Shape[0], h = x.Shape[1], wd = x.Shape[2], c = x.Shape[3];
        var (oh, padTop) = Same(h, o.FilterH, o.StrideH, o.Padding);
        var (ow, padLeft) = Same(wd, o.FilterW, o.StrideW, o.Padding);
        var result = new float[n * oh * ow * c];
        for (var b = 0; b < n; b++)
        {
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    for (var ch = 0; ch < c; ch++)
                    {
                        var max = float.NegativeInfinity;
                        for (var ky = 0; ky < o.FilterH; ky++)
                        {
                            for (var kx = 0; kx < o.FilterW; kx++)
                            {
                                int iy = (oy * o.StrideH) - padTop + ky, ix = (ox * o.StrideW) - padLeft + kx;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
                                {
                                    max = Math.Max(max, x.Data[((((b * h) + iy) * wd) + ix) * c + ch]);
                                }
                            }
                        }

                        result[((((b * oh) + oy) * ow) + ox) * c + ch] = max;
                    }
                }
            }
        }

        return new NhwcTensor([n, oh, ow, c], result);
    }

    private static NhwcTensor FullyConnected(NhwcTensor x, NhwcTensor w, NhwcTensor? bias)
    {
        // TFLite flattens the input to [-1, K] in its (NHWC) memory order.
        int outN = w.Shape[0], k = w.Shape[1];
        var batch = x.Data.Length / k;
        var result = new float[batch * outN];
        for (var b = 0; b < batch; b++)
        {
            for (var o = 0; o < outN; o++)
            {
                double sum = bias?.Data[o] ?? 0;
                for (var i = 0; i < k; i++)
                {
                    sum += x.Data[(b * k) + i] * w.Data[(o * k) + i];
                }

                result[(b * outN) + o] = (float)sum;
            }
        }

        return new NhwcTensor([batch, outN], result);
    }
}
