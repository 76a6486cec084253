using System.ComponentModel.DataAnnotations;

namespace FaceWatch.Pipeline.Embedding;

/// <summary>How pixel values are scaled before the network.</summary>
public enum EmbeddingNormalization
{
    /// <summary><c>(x - Mean) * Scale</c>: MobileFaceNet and ArcFace style.</summary>
    FixedMeanScale,

    /// <summary>Per-image <c>(x - mean) / max(std, 1/sqrt(n))</c>: classic FaceNet Keras models ("prewhiten").</summary>
    PerImageStandardization,
}

public enum ChannelOrder
{
    Rgb,
    Bgr,
}

public enum TensorLayout
{
    /// <summary>[N, 3, H, W].</summary>
    Nchw,

    /// <summary>[N, H, W, 3].</summary>
    Nhwc,
}

/// <summary>
/// Section <c>Embedding</c>: which ONNX model turns aligned face crops into embeddings and how it wants its input.
/// The defaults fit the converted MobileFaceNet; a FaceNet or ArcFace ONNX file works by changing these alone.
/// </summary>
public sealed class EmbeddingOptions
{
    public const string SectionName = "Embedding";

    /// <summary>File name in the models folder, or an absolute path.</summary>
    [Required]
    public string ModelFile { get; set; } = Core.Models.ModelFiles.MobileFaceNet;

    /// <summary>Side of the square input in pixels (the aligned crop is made this size).</summary>
    [Range(16, 1024)]
    public int InputSize { get; set; } = 112;

    public EmbeddingNormalization Normalization { get; set; } = EmbeddingNormalization.FixedMeanScale;

    /// <summary>Subtracted from each pixel value with <see cref="EmbeddingNormalization.FixedMeanScale"/>.</summary>
    [Range(0.0, 255.0)]
    public double Mean { get; set; } = 127.5;

    /// <summary>Multiplies each centred value with <see cref="EmbeddingNormalization.FixedMeanScale"/>.</summary>
    [Range(1e-6, 10.0)]
    public double Scale { get; set; } = 1.0 / 128;

    public ChannelOrder ChannelOrder { get; set; } = ChannelOrder.Rgb;

    public TensorLayout Layout { get; set; } = TensorLayout.Nchw;

    /// <summary>
    /// Embed each crop and its mirror image and add the two. Off by default: on the shared test photos it did not
    /// improve accuracy (docs/identification.md) and it doubles the embedding cost.
    /// </summary>
    public bool FlipAugmentation { get; set; }

    /// <summary>Input tensor name; empty: the model's first input.</summary>
    public string InputName { get; set; } = "";

    /// <summary>Output tensor name; empty: the model's first output.</summary>
    public string OutputName { get; set; } = "";

    /// <summary>Most crops per inference call; larger sets are split into several calls.</summary>
    [Range(1, 1024)]
    public int MaxBatchSize { get; set; } = 64;
}
