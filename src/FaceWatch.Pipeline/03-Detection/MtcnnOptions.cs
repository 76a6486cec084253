using System.ComponentModel.DataAnnotations;
using FaceWatch.Core.Configuration;
using Microsoft.Extensions.Options;

namespace FaceWatch.Pipeline.Detection;

/// <summary>Section <c>Detection</c>: the MTCNN face detector.</summary>
public sealed class MtcnnOptions
{
    public const string SectionName = "Detection";

    /// <summary>Smallest face (pixels, side of the square) searched for. Live video: 40; photos: 20. Smaller is slower.</summary>
    [Range(12, 4096)]
    public int MinFaceSize { get; set; } = 40;

    /// <summary>P-Net (proposal) score threshold.</summary>
    [Range(0.0, 1.0)]
    public float PNetThreshold { get; set; } = 0.6f;

    /// <summary>R-Net (refine) score threshold.</summary>
    [Range(0.0, 1.0)]
    public float RNetThreshold { get; set; } = 0.7f;

    /// <summary>O-Net (output) score threshold: the score a reported face has at least.</summary>
    [Range(0.0, 1.0)]
    public float ONetThreshold { get; set; } = 0.7f;

    /// <summary>Image pyramid step: each level is this factor of the previous one.</summary>
    [Range(0.3, 0.95)]
    public float ScaleFactor { get; set; } = 0.709f;

    /// <summary>Frames whose longer side exceeds this are downscaled before detection (0: never). Boxes come back in original pixels.</summary>
    [Range(0, 16384)]
    public int MaxInputSide { get; set; } = 1920;

    /// <summary>ONNX Runtime intra-op threads per MTCNN session (0: the <c>Models:Threads</c> setting).</summary>
    [Range(0, 256)]
    public int Threads { get; set; } = 1;

    /// <summary>
    /// Up to this many extra P-Net sessions, each planned for one pyramid-canvas shape (ONNX Runtime free-dimension
    /// overrides): 10-13% faster P-Net calls measured (docs/detection.md), for one session (a few MB) and its load
    /// time (first frame of a new size) per shape. Canvas shapes beyond the limit use the shape-agnostic session. 0: off.
    /// </summary>
    [Range(0, 16)]
    public int FixedShapeSessions { get; set; } = 4;
}

/// <summary>The rules between fields of <see cref="MtcnnOptions"/> (<see cref="ThrowIfInvalid"/> checks the ranges too).</summary>
public sealed class MtcnnOptionsValidator : IValidateOptions<MtcnnOptions>
{
    public ValidateOptionsResult Validate(string? name, MtcnnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The ranges are checked where the section is registered (KeyedAnnotationsValidator) and by ThrowIfInvalid.
        var failures = new List<string>();

        if (options.MaxInputSide is > 0 and < 64)
        {
            failures.Add($"{MtcnnOptions.SectionName}:MaxInputSide: must be 0 (off) or at least 64, was {options.MaxInputSide}.");
        }

        if (options.MaxInputSide > 0 && options.MinFaceSize > options.MaxInputSide)
        {
            failures.Add(
                $"{MtcnnOptions.SectionName}:MinFaceSize: {options.MinFaceSize} is larger than MaxInputSide {options.MaxInputSide}; no face could ever be found.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every bad key: ranges, then the rules between keys.</summary>
    public static void ThrowIfInvalid(MtcnnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new MtcnnOptionsValidator().Validate(null, options);
        List<string> failures = [.. ConfigurationChecks.AnnotationFailures(options, MtcnnOptions.SectionName), .. result.Failures ?? []];
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(MtcnnOptions.SectionName, typeof(MtcnnOptions), failures);
        }
    }
}
