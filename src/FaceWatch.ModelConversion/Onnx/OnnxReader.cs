using System.Runtime.InteropServices;
using Google.Protobuf;

namespace FaceWatch.ModelConversion.Onnx;

/// <summary>
/// Reads back the ONNX subset <see cref="OnnxWriter"/> emits (one graph, raw tensor data, float/int tensors), by
/// field number like the writer, so a converted file can be post-processed (e.g. quantized) without the TFLite source.
/// </summary>
public static class OnnxReader
{
    public static OnnxGraph Read(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ByteString? graphBytes = null;
        Walk(ByteString.CopyFrom(model), (field, input) =>
        {
            if (field == 7)
            {
                graphBytes = input.ReadBytes();
                return true;
            }

            return false;
        });
        return graphBytes is null ? throw new InvalidDataException("The ONNX model has no graph.") : ReadGraph(graphBytes);
    }

    private static OnnxGraph ReadGraph(ByteString bytes)
    {
        string name = "";
        var nodes = new List<OnnxNode>();
        var inits = new List<OnnxInitializer>();
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        Walk(bytes, (field, input) =>
        {
            switch (field)
            {
                case 1: nodes.Add(ReadNode(input.ReadBytes())); return true;
                case 2: name = input.ReadString(); return true;
                case 5: inits.Add(ReadTensor(input.ReadBytes())); return true;
                case 11: inputs.Add(ReadValueInfo(input.ReadBytes())); return true;
                case 12: outputs.Add(ReadValueInfo(input.ReadBytes())); return true;
                default: return false;
            }
        });
        var graph = new OnnxGraph(name);
        graph.Nodes.AddRange(nodes);
        graph.Initializers.AddRange(inits);
        graph.Inputs.AddRange(inputs);
        graph.Outputs.AddRange(outputs);
        foreach (var taken in nodes.SelectMany(n => n.Outputs).Concat(inits.Select(i => i.Name)).Concat(inputs.Select(i => i.Name)))
        {
            graph.Reserve(taken);
        }

        return graph;
    }

    private static OnnxNode ReadNode(ByteString bytes)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<OnnxAttribute>();
        string name = "", op = "";
        Walk(bytes, (field, input) =>
        {
            switch (field)
            {
                case 1: inputs.Add(input.ReadString()); return true;
                case 2: outputs.Add(input.ReadString()); return true;
                case 3: name = input.ReadString(); return true;
                case 4: op = input.ReadString(); return true;
                case 5: attributes.Add(ReadAttribute(input.ReadBytes())); return true;
                default: return false;
            }
        });
        return new OnnxNode(op, name, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(ByteString bytes)
    {
        string name = "";
        long? i = null, type = null;
        float? f = null;
        string? s = null;
        var ints = new List<long>();
        Walk(bytes, (field, input) =>
        {
            switch (field)
            {
                case 1: name = input.ReadString(); return true;
                case 2: f = input.ReadFloat(); return true;
                case 3: i = input.ReadInt64(); return true;
                case 4: s = input.ReadString(); return true;
                case 8: ReadInt64s(input, LastTag, ints); return true;
                case 20: type = input.ReadInt64(); return true;
                default: return false;
            }
        });
        return type switch
        {
            1 => new OnnxAttribute(name, Float: f),
            2 => new OnnxAttribute(name, Int: i),
            3 => new OnnxAttribute(name, Text: s),
            7 => new OnnxAttribute(name, Ints: [.. ints]),
            _ => throw new InvalidDataException($"Attribute '{name}' has unsupported type {type}."),
        };
    }

    private static OnnxInitializer ReadTensor(ByteString bytes)
    {
        var dims = new List<long>();
        long type = 0;
        string name = "";
        var raw = ByteString.Empty;
        Walk(bytes, (field, input) =>
        {
            switch (field)
            {
                case 1: ReadInt64s(input, LastTag, dims); return true;
                case 2: type = input.ReadInt64(); return true;
                case 8: name = input.ReadString(); return true;
                case 9: raw = input.ReadBytes(); return true;
                default: return false;
            }
        });
        var span = raw.Span;
        return type switch
        {
            1 => new OnnxInitializer(name, [.. dims], MemoryMarshal.Cast<byte, float>(span).ToArray(), null),
            7 => new OnnxInitializer(name, [.. dims], null, MemoryMarshal.Cast<byte, long>(span).ToArray()),
            3 => new OnnxInitializer(name, [.. dims], null, null, Int8s: MemoryMarshal.Cast<byte, sbyte>(span).ToArray()),
            2 => new OnnxInitializer(name, [.. dims], null, null, UInt8s: span.ToArray()),
            6 => new OnnxInitializer(name, [.. dims], null, null, Int32s: MemoryMarshal.Cast<byte, int>(span).ToArray()),
            _ => throw new InvalidDataException($"Initializer '{name}' has unsupported data type {type}."),
        };
    }

    private static OnnxValueInfo ReadValueInfo(ByteString bytes)
    {
        string name = "";
        List<object>? dims = null;
        Walk(bytes, (field, input) =>
        {
            switch (field)
            {
                case 1: name = input.ReadString(); return true;
                case 2: // TypeProto -> 1 tensor_type -> 2 shape -> 1 dim -> 1 dim_value | 2 dim_param
                    Walk(input.ReadBytes(), (f1, typeInput) => f1 == 1 && Consume(Walk(typeInput.ReadBytes(), (f2, tensorInput) =>
                    {
                        if (f2 != 2)
                        {
                            return false;
                        }

                        dims = [];
                        Walk(tensorInput.ReadBytes(), (f3, shapeInput) => f3 == 1 && Consume(Walk(shapeInput.ReadBytes(), (f4, dimInput) =>
                        {
                            switch (f4)
                            {
                                case 1: dims.Add(dimInput.ReadInt64()); return true;
                                case 2: dims.Add(dimInput.ReadString()); return true;
                                default: return false;
                            }
                        })));
                        return true;
                    })));
                    return true;
                default: return false;
            }
        });
        return new OnnxValueInfo(name, dims);
    }

    private static bool Consume(bool _) => true;

    // The tag of the field being read (packed and unpacked repeated ints differ in wire type); reading is single-threaded per call.
    [ThreadStatic]
    private static uint LastTag;

    private static void ReadInt64s(CodedInputStream input, uint tag, List<long> into)
    {
        if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
        {
            var packed = input.ReadBytes().CreateCodedInput();
            while (!packed.IsAtEnd)
            {
                into.Add(packed.ReadInt64());
            }
        }
        else
        {
            into.Add(input.ReadInt64());
        }
    }

    /// <summary>Calls <paramref name="onField"/> per field; it reads the value and returns true, or false to skip it.</summary>
    private static bool Walk(ByteString message, Func<int, CodedInputStream, bool> onField)
    {
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            LastTag = tag;
            if (!onField(WireFormat.GetTagFieldNumber(tag), input))
            {
                input.SkipLastField();
            }
        }

        return true;
    }
}
