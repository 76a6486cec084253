using System.Buffers.Binary;
using System.Text;

namespace FaceWatch.ModelConversion.Tflite;

/// <summary>
/// One table of a flatbuffer: enough of the format (vtable lookup, scalars, strings, vectors, sub-tables)
/// to read the TFLite schema fields the converter needs, without generated code.
/// </summary>
internal readonly struct FlatTable
{
    private readonly byte[] _buf;
    private readonly int _pos;
    private readonly int _vtable;
    private readonly int _vtableSize;

    public FlatTable(byte[] buffer, int position)
    {
        _buf = buffer;
        _pos = position;
        Check(buffer, position, 4);
        _vtable = position - BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(position));
        Check(buffer, _vtable, 4);
        _vtableSize = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(_vtable));
    }

    /// <summary>The root table of a flatbuffer file.</summary>
    public static FlatTable Root(byte[] buffer)
    {
        Check(buffer, 0, 8);
        return new FlatTable(buffer, (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer));
    }

    /// <summary>Absolute position of field <paramref name="index"/>, or 0 when absent.</summary>
    private int Field(int index)
    {
        var entry = 4 + (2 * index);
        if (entry >= _vtableSize)
        {
            return 0;
        }

        var offset = BinaryPrimitives.ReadUInt16LittleEndian(_buf.AsSpan(_vtable + entry));
        return offset == 0 ? 0 : _pos + offset;
    }

    public bool Has(int index) => Field(index) != 0;

    public sbyte Int8(int index, sbyte fallback = 0) => Field(index) is var p and > 0 ? (sbyte)_buf[p] : fallback;

    public byte UInt8(int index, byte fallback = 0) => Field(index) is var p and > 0 ? _buf[p] : fallback;

    public bool Bool(int index) => UInt8(index) != 0;

    public int Int32(int index, int fallback = 0) =>
        Field(index) is var p and > 0 ? BinaryPrimitives.ReadInt32LittleEndian(_buf.AsSpan(p)) : fallback;

    public ulong UInt64(int index, ulong fallback = 0) =>
        Field(index) is var p and > 0 ? BinaryPrimitives.ReadUInt64LittleEndian(_buf.AsSpan(p)) : fallback;

    public string? String(int index)
    {
        var start = Indirect(index);
        if (start == 0)
        {
            return null;
        }

        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(_buf.AsSpan(start));
        Check(_buf, start + 4, length);
        return Encoding.UTF8.GetString(_buf, start + 4, length);
    }

    public FlatTable? Table(int index)
    {
        var target = Indirect(index);
        return target == 0 ? null : new FlatTable(_buf, target);
    }

    public int[] Int32Vector(int index)
    {
        var (start, count) = Vector(index, 4);
        var result = new int[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = BinaryPrimitives.ReadInt32LittleEndian(_buf.AsSpan(start + (4 * i)));
        }

        return result;
    }

    public ReadOnlyMemory<byte> ByteVector(int index)
    {
        var (start, count) = Vector(index, 1);
        return _buf.AsMemory(start, count);
    }

    public FlatTable[] TableVector(int index)
    {
        var (start, count) = Vector(index, 4);
        var result = new FlatTable[count];
        for (var i = 0; i < count; i++)
        {
            var element = start + (4 * i);
            result[i] = new FlatTable(_buf, element + (int)BinaryPrimitives.ReadUInt32LittleEndian(_buf.AsSpan(element)));
        }

        return result;
    }

    private (int Start, int Count) Vector(int index, int elementSize)
    {
        var vector = Indirect(index);
        if (vector == 0)
        {
            return (0, 0);
        }

        var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(_buf.AsSpan(vector));
        Check(_buf, vector + 4, (long)count * elementSize);
        return (vector + 4, count);
    }

    /// <summary>Follows the uoffset stored in field <paramref name="index"/>.</summary>
    private int Indirect(int index)
    {
        var p = Field(index);
        if (p == 0)
        {
            return 0;
        }

        Check(_buf, p, 4);
        var target = (long)p + BinaryPrimitives.ReadUInt32LittleEndian(_buf.AsSpan(p));
        Check(_buf, target, 4);
        return (int)target;
    }

    private static void Check(byte[] buffer, long start, long length)
    {
        if (start < 0 || length < 0 || start + length > buffer.Length)
        {
            throw new InvalidDataException($"Flatbuffer offset {start} (+{length}) is outside the {buffer.Length}-byte file: the file is truncated or not a TFLite model.");
        }
    }
}
