using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace FaceWatch.Pipeline.Capture;

/// <summary>Section <c>Capture</c>: what all cameras share.</summary>
public sealed class CaptureOptions
{
    public const string SectionName = "Capture";

    /// <summary>Default <see cref="MaxFramePixels"/>: 8K UHD (7680x4320).</summary>
    public const long DefaultMaxFramePixels = 7680L * 4320;

    /// <summary>First reconnect delay; doubles (with jitter) up to <see cref="ReconnectMaxSeconds"/>, forever.</summary>
    [Range(0.01, 600)]
    public double ReconnectBaseSeconds { get; set; } = 1;

    [Range(0.01, 3600)]
    public double ReconnectMaxSeconds { get; set; } = 30;

    /// <summary>Frames waiting between a camera and its detection worker; when full the oldest is dropped.</summary>
    [Range(1, 16)]
    public int FrameQueueCapacity { get; set; } = 1;

    /// <summary>How long ffprobe may take to read a URL's frame size.</summary>
    [Range(1, 300)]
    public double ProbeTimeoutSeconds { get; set; } = 15;

    /// <summary>
    /// A camera whose frames have more pixels than this (width x height, from its settings, ffprobe or the device) is
    /// refused before any frame is allocated. Default: 8K UHD (7680x4320).
    /// </summary>
    [Range(1, 1L << 30)]
    public long MaxFramePixels { get; set; } = DefaultMaxFramePixels;

    /// <summary>The ffmpeg and ffprobe executables (a name on PATH or a full path).</summary>
    [Required]
    public string Ffmpeg { get; set; } = "ffmpeg";

    [Required]
    public string Ffprobe { get; set; } = "ffprobe";

    /// <summary>
    /// Refuses a camera whose frames of <paramref name="width"/> x <paramref name="height"/> are over
    /// <paramref name="maxFramePixels"/>; <paramref name="origin"/> (where the size came from) is put in the message.
    /// </summary>
    internal static void CheckFrameSize(long width, long height, long maxFramePixels, string? origin = null)
    {
        if (width * height > maxFramePixels)
        {
            var from = origin is null ? "" : $" ({origin})";
            throw new CameraException(string.Create(CultureInfo.InvariantCulture,
                $"frames of {width}x{height} = {width * height:N0} pixels{from} are over the limit of {maxFramePixels:N0} pixels (Capture:MaxFramePixels); camera refused"));
        }
    }
}

/// <summary>The rules between fields of <see cref="CaptureOptions"/> (the ranges are its data annotations).</summary>
public sealed class CaptureOptionsValidator : IValidateOptions<CaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, CaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ReconnectBaseSeconds > options.ReconnectMaxSeconds)
        {
            return ValidateOptionsResult.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{CaptureOptions.SectionName}:ReconnectBaseSeconds: {options.ReconnectBaseSeconds} is more than {CaptureOptions.SectionName}:ReconnectMaxSeconds ({options.ReconnectMaxSeconds}); the first reconnect delay cannot exceed the longest"));
        }

        return ValidateOptionsResult.Success;
    }
}
