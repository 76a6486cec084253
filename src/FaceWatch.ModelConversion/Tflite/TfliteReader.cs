using System.Runtime.InteropServices;

namespace FaceWatch.ModelConversion.Tflite;

/// <summary>
/// Reads a TFLite flatbuffer (schema v3) into a <see cref="TfliteModel"/>: tensors with their constant data,
/// operators with the options of the ops FaceWatch's models use.
/// </summary>
public static class TfliteReader
{
    public static TfliteModel Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Read(File.ReadAllBytes(path), Path.GetFileName(path));
    }

    public static TfliteModel Read(byte[] bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            return ReadCore(bytes, sourceName);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            throw new ModelConversionException($"'{sourceName}' is not a readable TFLite model: {e.Message}", e);
        }
    }

    private static TfliteModel ReadCore(byte[] bytes, string sourceName)
    {
        if (bytes.Length < 8 || bytes[4] != 'T' || bytes[5] != 'F' || bytes[6] != 'L' || bytes[7] != '3')
        {
            throw new ModelConversionException($"'{sourceName}' is not a TFLite model (no TFL3 identifier).");
        }

        // Model: 1 operator_codes, 2 subgraphs, 4 buffers.
        var model = FlatTable.Root(bytes);
        var codes = model.TableVector(1).Select(c =>
            // OperatorCode: 0 deprecated_builtin_code (int8), 3 builtin_code (int32); newer files use the larger.
            Math.Max((int)c.Int8(0), c.Int32(3))).ToArray();
        var buffers = model.TableVector(4);
        var subgraphs = model.TableVector(2);
        if (subgraphs.Length != 1)
        {
            throw new ModelConversionException($"'{sourceName}' has {subgraphs.Length} subgraphs; only single-subgraph models are supported.");
        }

        // SubGraph: 0 tensors, 1 inputs, 2 outputs, 3 operators.
        var graph = subgraphs[0];
        var tensors = graph.TableVector(0).Select((t, i) => ReadTensor(t, i, buffers, bytes, sourceName)).ToArray();
        var operators = graph.TableVector(3).Select((o, i) =>
        {
            // Operator: 0 opcode_index, 1 inputs, 2 outputs, 4 builtin_options.
            var opcodeIndex = o.Int32(0);
            if (opcodeIndex < 0 || opcodeIndex >= codes.Length)
            {
                throw new InvalidDataException($"operator {i} has opcode index {opcodeIndex} of {codes.Length}");
            }

            var code = codes[opcodeIndex];
            return new TfliteOperator(i, code, o.Int32Vector(1), o.Int32Vector(2), ReadOptions((TfliteOp)code, o.Table(4)));
        }).ToArray();

        return new TfliteModel(sourceName, tensors, graph.Int32Vector(1), graph.Int32Vector(2), operators);
    }

    private static TfliteTensor ReadTensor(FlatTable t, int index, FlatTable[] buffers, byte[] file, string sourceName)
    {
        // Tensor: 0 shape, 1 type, 2 buffer, 3 name, 7 shape_signature.
        var shape = t.Int32Vector(0);
        var signature = t.Int32Vector(7);
        if (signature.Length == shape.Length)
        {
            shape = signature;
        }

        var type = (TfliteTensorType)t.UInt8(1);
        var name = t.String(3) ?? $"tensor{index}";
        var bufferIndex = t.Int32(2);
        ReadOnlyMemory<byte> data = default;
        if (bufferIndex > 0 && bufferIndex < buffers.Length)
        {
            // Buffer: 0 data; or 1 offset / 2 size into the file for models over 2 GB.
            var buffer = buffers[bufferIndex];
            data = buffer.ByteVector(0);
            var offset = buffer.UInt64(1);
            if (data.IsEmpty && offset > 1)
            {
                var size = buffer.UInt64(2);
                if (offset + size > (ulong)file.Length)
                {
                    throw new InvalidDataException($"tensor '{name}' data lies outside the file");
                }

                data = file.AsMemory((int)offset, (int)size);
            }
        }

        float[]? floats = null;
        int[]? ints = null;
        if (!data.IsEmpty)
        {
            switch (type)
            {
                case TfliteTensorType.Float32:
                    floats = MemoryMarshal.Cast<byte, float>(data.Span).ToArray();
                    break;
                case TfliteTensorType.Int32:
                    ints = MemoryMarshal.Cast<byte, int>(data.Span).ToArray();
                    break;
                default:
                    throw new ModelConversionException($"'{sourceName}': tensor '{name}' has unsupported type {type}; only float32 (and int32 shapes) are supported.");
            }
        }

        return new TfliteTensor(index, name, shape, type, floats, ints);
    }

    private static TfliteOptions ReadOptions(TfliteOp op, FlatTable? table)
    {
        if (table is not { } o)
        {
            return new TfliteOptions();
        }

        return op switch
        {
            // Conv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 activation, 4 dilation_w, 5 dilation_h.
            TfliteOp.Conv2D => new TfliteOptions
            {
                Padding = (TflitePadding)o.Int8(0), StrideW = o.Int32(1), StrideH = o.Int32(2),
                Activation = (TfliteActivation)o.Int8(3), DilationW = o.Int32(4, 1), DilationH = o.Int32(5, 1),
            },
            // DepthwiseConv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 depth_multiplier, 4 activation, 5/6 dilation.
            TfliteOp.DepthwiseConv2D => new TfliteOptions
            {
                Padding = (TflitePadding)o.Int8(0), StrideW = o.Int32(1), StrideH = o.Int32(2),
                DepthMultiplier = o.Int32(3, 1), Activation = (TfliteActivation)o.Int8(4),
                DilationW = o.Int32(5, 1), DilationH = o.Int32(6, 1),
            },
            // Pool2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 filter_width, 4 filter_height, 5 activation.
            TfliteOp.MaxPool2D => new TfliteOptions
            {
                Padding = (TflitePadding)o.Int8(0), StrideW = o.Int32(1), StrideH = o.Int32(2),
                FilterW = o.Int32(3), FilterH = o.Int32(4), Activation = (TfliteActivation)o.Int8(5),
            },
            // FullyConnectedOptions: 0 activation, 2 keep_num_dims.
            TfliteOp.FullyConnected => new TfliteOptions { Activation = (TfliteActivation)o.Int8(0), KeepDims = o.Bool(2) },
            // ReshapeOptions: 0 new_shape.
            TfliteOp.Reshape => new TfliteOptions { NewShape = o.Has(0) ? o.Int32Vector(0) : null },
            // ReducerOptions: 0 keep_dims.
            TfliteOp.Sum or TfliteOp.ReduceMax => new TfliteOptions { KeepDims = o.Bool(0) },
            // Add/Sub/Mul/DivOptions: 0 activation.
            TfliteOp.Add or TfliteOp.Sub or TfliteOp.Mul or TfliteOp.Div => new TfliteOptions { Activation = (TfliteActivation)o.Int8(0) },
            _ => new TfliteOptions(),
        };
    }
}
