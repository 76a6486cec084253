using System.ComponentModel.DataAnnotations;

namespace FaceWatch.Core.Imaging;

/// <summary>Section <c>Images</c>: limits for the photos the verbs and the demo enrollment read.</summary>
public sealed class ImageOptions
{
    public const string SectionName = "Images";

    /// <summary>Default <see cref="MaxPixels"/>: 100 megapixels (about 300 MB once decoded to BGR).</summary>
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>
    /// Photos declaring more pixels than this (width x height, read from the header) are refused before decoding, so a
    /// small "decompression bomb" file cannot take gigabytes of memory.
    /// </summary>
    [Range(1, 1_000_000_000)]
    public long MaxPixels { get; set; } = DefaultMaxPixels;
}
