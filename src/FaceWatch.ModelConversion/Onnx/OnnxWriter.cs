using System.Runtime.InteropServices;
using Google.Protobuf;

namespace FaceWatch.ModelConversion.Onnx;

/// <summary>
/// Serialises an <see cref="OnnxGraph"/> as an ONNX ModelProto by field number (onnx.proto), so no generated
/// code is needed. Output is a pure function of the graph: the same graph gives the same bytes.
/// </summary>
public static class OnnxWriter
{
    public const long IrVersion = 8;
    public const long Opset = 17;
    private const int TensorFloat = 1;
    private const int TensorUInt8 = 2;
    private const int TensorInt8 = 3;
    private const int TensorInt32 = 6;
    private const int TensorInt64 = 7;

    public static byte[] Write(OnnxGraph graph, string producerVersion, string docString)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var model = new Proto();
        model.Int64(1, IrVersion);                        // ir_version
        model.String(2, "FaceWatch.ModelConversion");     // producer_name
        model.String(3, producerVersion);                 // producer_version
        model.String(6, docString);                       // doc_string
        model.Message(7, WriteGraph(graph));              // graph
        var opset = new Proto();
        opset.String(1, "");                              // domain: default
        opset.Int64(2, Opset);                            // version
        model.Message(8, opset);                          // opset_import
        return model.ToArray();
    }

    private static Proto WriteGraph(OnnxGraph graph)
    {
        var g = new Proto();
        foreach (var node in graph.Nodes)
        {
            g.Message(1, WriteNode(node));                // node
        }

        g.String(2, graph.Name);                          // name
        foreach (var init in graph.Initializers)
        {
            g.Message(5, WriteTensor(init));              // initializer
        }

        foreach (var input in graph.Inputs)
        {
            g.Message(11, WriteValueInfo(input));         // input
        }

        foreach (var output in graph.Outputs)
        {
            g.Message(12, WriteValueInfo(output));        // output
        }

        return g;
    }

    private static Proto WriteNode(OnnxNode node)
    {
        var n = new Proto();
        foreach (var input in node.Inputs)
        {
            n.String(1, input);
        }

        foreach (var output in node.Outputs)
        {
            n.String(2, output);
        }

        n.String(3, node.Name);
        n.String(4, node.OpType);
        foreach (var attribute in node.Attributes)
        {
            n.Message(5, WriteAttribute(attribute));
        }

        return n;
    }

    private static Proto WriteAttribute(OnnxAttribute attribute)
    {
        // AttributeProto: 1 name, 2 f, 3 i, 4 s, 8 ints, 20 type (FLOAT=1, INT=2, STRING=3, INTS=7).
        var a = new Proto();
        a.String(1, attribute.Name);
        if (attribute.Float is { } f)
        {
            a.Float(2, f);
            a.Int64(20, 1);
        }
        else if (attribute.Int is { } i)
        {
            a.Int64(3, i);
            a.Int64(20, 2);
        }
        else if (attribute.Text is { } s)
        {
            a.String(4, s);
            a.Int64(20, 3);
        }
        else if (attribute.Ints is { } ints)
        {
            foreach (var value in ints)
            {
                a.Int64(8, value);
            }

            a.Int64(20, 7);
        }
        else
        {
            throw new ArgumentException($"Attribute '{attribute.Name}' has no value.", nameof(attribute));
        }

        return a;
    }

    private static Proto WriteTensor(OnnxInitializer init)
    {
        // TensorProto: 1 dims, 2 data_type, 8 name, 9 raw_data (little-endian).
        var t = new Proto();
        foreach (var dim in init.Dims)
        {
            t.Int64(1, dim);
        }

        var type = init switch
        {
            { Floats: not null } => TensorFloat,
            { Int64s: not null } => TensorInt64,
            { Int8s: not null } => TensorInt8,
            { UInt8s: not null } => TensorUInt8,
            { Int32s: not null } => TensorInt32,
            _ => throw new ArgumentException($"Initializer '{init.Name}' has no data.", nameof(init)),
        };
        ReadOnlySpan<byte> bytes = init switch
        {
            { Floats: { } floats } => MemoryMarshal.AsBytes(floats.AsSpan()),
            { Int64s: { } longs } => MemoryMarshal.AsBytes(longs.AsSpan()),
            { Int8s: { } int8 } => MemoryMarshal.AsBytes(int8.AsSpan()),
            { UInt8s: { } uint8 } => uint8,
            _ => MemoryMarshal.AsBytes(init.Int32s.AsSpan()),
        };
        t.Int64(2, type);
        t.String(8, init.Name);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; big-endian hosts are not supported.");
        }

        t.Bytes(9, bytes);
        return t;
    }

    private static Proto WriteValueInfo(OnnxValueInfo info)
    {
        // ValueInfoProto: 1 name, 2 type; TypeProto: 1 tensor_type; Tensor: 1 elem_type, 2 shape;
        // TensorShapeProto: 1 dim; Dimension: 1 dim_value, 2 dim_param.
        var shape = new Proto();
        foreach (var dim in info.Dims ?? [])
        {
            var d = new Proto();
            if (dim is string symbol)
            {
                d.String(2, symbol);
            }
            else
            {
                d.Int64(1, Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture));
            }

            shape.Message(1, d);
        }

        var tensor = new Proto();
        tensor.Int64(1, TensorFloat);
        if (info.Dims is not null)
        {
            tensor.Message(2, shape);
        }
        var type = new Proto();
        type.Message(1, tensor);
        var v = new Proto();
        v.String(1, info.Name);
        v.Message(2, type);
        return v;
    }

    /// <summary>One message being written: fields go through <see cref="CodedOutputStream"/>; sub-messages are length-prefixed bytes.</summary>
#pragma warning disable CA1001 // a MemoryStream and the CodedOutputStream over it hold managed memory only: nothing to release
    private sealed class Proto
#pragma warning restore CA1001
    {
        private readonly MemoryStream _stream = new();
        private readonly CodedOutputStream _out;

        public Proto()
        {
            _out = new CodedOutputStream(_stream, leaveOpen: true);
        }

        public void Int64(int field, long value)
        {
            _out.WriteTag(field, WireFormat.WireType.Varint);
            _out.WriteInt64(value);
        }

        public void Float(int field, float value)
        {
            _out.WriteTag(field, WireFormat.WireType.Fixed32);
            _out.WriteFloat(value);
        }

        public void String(int field, string value)
        {
            _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _out.WriteString(value);
        }

        public void Bytes(int field, ReadOnlySpan<byte> value) => Bytes(field, ByteString.CopyFrom(value));

        /// <summary>The sub-message's buffer is wrapped, not copied: it is finished and read only here.</summary>
        public void Message(int field, Proto message) => Bytes(field, UnsafeByteOperations.UnsafeWrap(message.Written()));

        public byte[] ToArray() => Written().ToArray();

        private void Bytes(int field, ByteString value)
        {
            _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _out.WriteBytes(value);
        }

        private ReadOnlyMemory<byte> Written()
        {
            _out.Flush();
            return _stream.GetBuffer().AsMemory(0, (int)_stream.Length);
        }
    }
}
