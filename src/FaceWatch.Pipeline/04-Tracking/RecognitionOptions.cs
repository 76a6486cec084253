using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FaceWatch.Pipeline.Tracking;

/// <summary>
/// Section <c>Recognition</c>: which faces are good enough to embed, and the embedding queue. How observations become
/// decisions and visits is section <c>Identity</c>.
/// </summary>
public sealed class RecognitionOptions
{
    public const string SectionName = "Recognition";

    /// <summary>Least detector score for a face to be embedded.</summary>
    [Range(0.0, 1.0)]
    public double MinScore { get; set; } = 0.9;

    /// <summary>Least sharpness (variance of the Laplacian of the grey aligned crop) for a face to be embedded; 0 turns the blur check off.</summary>
    [Range(0.0, 10000)]
    public double MinSharpness { get; set; } = 10;

    /// <summary>Most aligned crops embedded in one batched call (across cameras).</summary>
    [Range(1, 256)]
    public int BatchSize { get; set; } = 8;

    /// <summary>Aligned crops waiting for the embedder; when full the oldest is dropped.</summary>
    [Range(1, 4096)]
    public int CropQueueCapacity { get; set; } = 32;
}

/// <summary>The rules between fields of <see cref="RecognitionOptions"/> (the ranges are its data annotations).</summary>
public sealed class RecognitionOptionsValidator : IValidateOptions<RecognitionOptions>
{
    public ValidateOptionsResult Validate(string? name, RecognitionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize > options.CropQueueCapacity)
        {
            return ValidateOptionsResult.Fail(
                $"{RecognitionOptions.SectionName}:BatchSize: {options.BatchSize} is more than {RecognitionOptions.SectionName}:CropQueueCapacity ({options.CropQueueCapacity}); a batch is taken from that queue and could never fill");
        }

        return ValidateOptionsResult.Success;
    }
}
