using System.ComponentModel.DataAnnotations;

namespace FaceWatch.Pipeline.Capture;

/// <summary>Section <c>Capture</c>: what all cameras share.</summary>
public sealed class CaptureOptions
{
    public const string SectionName = "Capture";

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
    public long MaxFramePixels { get; set; } = 7680L * 4320;

    /// <summary>The ffmpeg and ffprobe executables (a name on PATH or a full path).</summary>
    [Required]
    public string Ffmpeg { get; set; } = "ffmpeg";

    [Required]
    public string Ffprobe { get; set; } = "ffprobe";
}
