using System.Buffers.Binary;
using System.Globalization;

namespace FaceWatch.Core.Imaging;

/// <summary>
/// The pixel size an encoded image declares in its header, read without decoding (PNG, JPEG, WebP, GIF, BMP, TIFF,
/// PNM), so an image that would need gigabytes once decoded (a "decompression bomb": a few kilobytes of PNG can
/// declare 30000x30000 pixels) is refused before the decoder allocates anything.
/// </summary>
public static class ImageHeader
{
    /// <summary>The formats whose headers are read; other formats are refused (their decoded size is unknown).</summary>
    public const string SupportedFormats = "JPEG, PNG, WebP, GIF, BMP, TIFF, PBM/PGM/PPM";

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// Format name and the largest pixel count the file declares (for multi-frame formats the largest frame or canvas),
    /// or null when the bytes are no supported format or the header is cut short.
    /// </summary>
    public static (string Format, long Width, long Height)? Read(ReadOnlySpan<byte> b)
    {
        try
        {
            if (b.Length >= 24 && b[..8].SequenceEqual(PngSignature))
            {
                return ("PNG", BinaryPrimitives.ReadUInt32BigEndian(b[16..]), BinaryPrimitives.ReadUInt32BigEndian(b[20..]));
            }

            if (b.Length >= 4 && b[0] == 0xFF && b[1] == 0xD8)
            {
                return Jpeg(b);
            }

            if (b.Length >= 30 && b[..4].SequenceEqual("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8))
            {
                return WebP(b);
            }

            if (b.Length >= 13 && (b[..6].SequenceEqual("GIF87a"u8) || b[..6].SequenceEqual("GIF89a"u8)))
            {
                return Gif(b);
            }

            if (b.Length >= 26 && b[0] == 'B' && b[1] == 'M')
            {
                var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(b[14..]);
                return headerSize == 12
                    ? ("BMP", BinaryPrimitives.ReadUInt16LittleEndian(b[18..]), BinaryPrimitives.ReadUInt16LittleEndian(b[20..]))
                    : ("BMP", Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[18..])), Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[22..])));
            }

            if (b.Length >= 8 && (b[..4].SequenceEqual("II*\0"u8) || b[..4].SequenceEqual("MM\0*"u8)
                || b[..4].SequenceEqual("II+\0"u8) || b[..4].SequenceEqual("MM\0+"u8)))
            {
                return Tiff(b);
            }

            if (b.Length >= 3 && b[0] == 'P' && b[1] is >= (byte)'1' and <= (byte)'6')
            {
                return Pnm(b);
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            // A header that points past the end of the file: cut short.
        }

        return null;
    }

    private static (string, long, long)? Jpeg(ReadOnlySpan<byte> b)
    {
        var i = 2;
        while (i + 4 <= b.Length)
        {
            if (b[i] != 0xFF)
            {
                return null;
            }

            var marker = b[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                i += 2; // no length
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2)..]);
            // Start of frame (baseline, progressive, lossless, arithmetic; not DHT C4, JPG C8, DAC CC).
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return ("JPEG", BinaryPrimitives.ReadUInt16BigEndian(b[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(b[(i + 5)..]));
            }

            if (marker is 0xDA or 0xD9)
            {
                return null; // scan data (or the end) before any frame header
            }

            i += 2 + length;
        }

        return null;
    }

    private static (string, long, long)? WebP(ReadOnlySpan<byte> b)
    {
        var chunk = b[12..16];
        if (chunk.SequenceEqual("VP8 "u8))
        {
            return ("WebP", BinaryPrimitives.ReadUInt16LittleEndian(b[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(b[28..]) & 0x3FFF);
        }

        if (chunk.SequenceEqual("VP8L"u8))
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(b[21..]);
            return ("WebP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
        }

        if (chunk.SequenceEqual("VP8X"u8))
        {
            return ("WebP", (b[24] | (b[25] << 8) | (b[26] << 16)) + 1L, (b[27] | (b[28] << 8) | (b[29] << 16)) + 1L);
        }

        return null;
    }

    private static (string, long, long)? Gif(ReadOnlySpan<byte> b)
    {
        long width = BinaryPrimitives.ReadUInt16LittleEndian(b[6..]), height = BinaryPrimitives.ReadUInt16LittleEndian(b[8..]);
        var flags = b[10];
        var i = 13 + ((flags & 0x80) != 0 ? 3 * (1 << ((flags & 7) + 1)) : 0);
        // Every frame's extent counts: a frame may reach beyond the logical screen.
        while (i < b.Length)
        {
            switch (b[i])
            {
                case 0x21: // extension: label, then sub-blocks
                    i = SkipSubBlocks(b, i + 2);
                    break;
                case 0x2C: // image descriptor
                    width = Math.Max(width, BinaryPrimitives.ReadUInt16LittleEndian(b[(i + 1)..]) + (long)BinaryPrimitives.ReadUInt16LittleEndian(b[(i + 5)..]));
                    height = Math.Max(height, BinaryPrimitives.ReadUInt16LittleEndian(b[(i + 3)..]) + (long)BinaryPrimitives.ReadUInt16LittleEndian(b[(i + 7)..]));
                    var local = b[i + 9];
                    i += 10 + ((local & 0x80) != 0 ? 3 * (1 << ((local & 7) + 1)) : 0);
                    i = SkipSubBlocks(b, i + 1); // LZW minimum code size, then the data
                    break;
                default: // 0x3B trailer, or garbage after the last frame
                    return ("GIF", width, height);
            }
        }

        return ("GIF", width, height);
    }

    private static int SkipSubBlocks(ReadOnlySpan<byte> b, int i)
    {
        while (i < b.Length && b[i] != 0)
        {
            i += b[i] + 1;
        }

        return i + 1;
    }

    private static (string, long, long)? Tiff(ReadOnlySpan<byte> b)
    {
        var little = b[0] == 'I';
        var big = (little ? b[2] : b[3]) == 43;

        var offset = big ? U64(b, little, 8) : U32(b, little, 4);
        long width = 0, height = 0;
        var seen = new HashSet<ulong>();
        // Every page (IFD) counts; a loop in the IFD chain ends the walk.
        while (offset != 0 && offset < (ulong)b.Length && seen.Add(offset) && seen.Count <= 1024)
        {
            var at = (long)offset;
            var count = big ? U64(b, little, at) : U16(b, little, at);
            at += big ? 8 : 2;
            var entrySize = big ? 20 : 12;
            if (count > (ulong)(b.Length / entrySize))
            {
                return null;
            }

            long pageWidth = 0, pageHeight = 0;
            for (var e = 0UL; e < count; e++, at += entrySize)
            {
                var tag = U16(b, little, at);
                var type = U16(b, little, at + 2);
                var valueAt = at + (big ? 12 : 8);
                var value = type switch
                {
                    3 => U16(b, little, valueAt),
                    4 => U32(b, little, valueAt),
                    16 => U64(b, little, valueAt),
                    _ => 0UL,
                };
                if (tag == 256)
                {
                    pageWidth = (long)Math.Min(value, int.MaxValue);
                }
                else if (tag == 257)
                {
                    pageHeight = (long)Math.Min(value, int.MaxValue);
                }
            }

            if (pageWidth * pageHeight > width * height)
            {
                (width, height) = (pageWidth, pageHeight);
            }

            offset = big ? U64(b, little, at) : U32(b, little, at);
        }

        return width > 0 && height > 0 ? ("TIFF", width, height) : null;
    }

    private static ulong U16(ReadOnlySpan<byte> b, bool little, long at) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(b[checked((int)at)..]) : BinaryPrimitives.ReadUInt16BigEndian(b[checked((int)at)..]);

    private static ulong U32(ReadOnlySpan<byte> b, bool little, long at) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(b[checked((int)at)..]) : BinaryPrimitives.ReadUInt32BigEndian(b[checked((int)at)..]);

    private static ulong U64(ReadOnlySpan<byte> b, bool little, long at) =>
        little ? BinaryPrimitives.ReadUInt64LittleEndian(b[checked((int)at)..]) : BinaryPrimitives.ReadUInt64BigEndian(b[checked((int)at)..]);

    private static (string, long, long)? Pnm(ReadOnlySpan<byte> b)
    {
        var numbers = new List<long>(2);
        var i = 2;
        while (numbers.Count < 2 && i < b.Length)
        {
            if (b[i] == '#')
            {
                while (i < b.Length && b[i] != '\n')
                {
                    i++;
                }
            }
            else if (b[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                i++;
            }
            else
            {
                var start = i;
                while (i < b.Length && b[i] is >= (byte)'0' and <= (byte)'9' && i - start < 12)
                {
                    i++;
                }

                if (i == start || !long.TryParse(b[start..i], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    return null;
                }

                numbers.Add(n);
            }
        }

        return numbers.Count == 2 ? ("PNM", numbers[0], numbers[1]) : null;
    }
}
