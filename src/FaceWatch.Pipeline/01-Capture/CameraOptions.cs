using System.ComponentModel.DataAnnotations;

using FaceWatch.Core.Text;
namespace FaceWatch.Pipeline.Capture;

/// <summary>One entry of the <c>Cameras</c> list.</summary>
public sealed class CameraOptions
{
    /// <summary>
    /// Unique name, used in events, topics and logs: letters of any script, digits, '_', '-' and inner spaces, at most
    /// 64 characters (<c>front door</c>, <c>Tür</c>, <c>café</c>). Topics get it with spaces as '_' (<c>front_door</c>),
    /// Home Assistant ids without accents (<c>Tur</c>, <c>cafe</c>); two names that would give the same are refused.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    [StringLength(64, ErrorMessage = "Name must be at most 64 characters.")]
    [RegularExpression(@"^[\p{L}\p{M}\p{N}_\-]+( [\p{L}\p{M}\p{N}_\-]+)*$", ErrorMessage = "Name may only hold letters (of any script), digits, '_', '-' and single spaces between words (it becomes part of MQTT topics).")]
    public string Name { get; set; } = "";

    /// <summary>A device index (<c>0</c>), a device path (<c>/dev/video0</c>), a file path, or a URL that ffmpeg reads.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Source { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>Detection runs at most this often per second on this camera.</summary>
    [Range(0.1, 60)]
    public double DetectFps { get; set; } = 10;

    /// <summary>Smallest face (shorter box side, in frame pixels) that is detected and identified.</summary>
    [Range(12, 2000)]
    public int MinFaceSize { get; set; } = 40;

    /// <summary>Files only: start again at the end.</summary>
    public bool Loop { get; set; } = true;

    /// <summary>No frame for this long: the camera is offline and is reopened.</summary>
    [Range(1, 3600)]
    public double StallSeconds { get; set; } = 10;

    /// <summary>URLs only: frame size ffmpeg scales to; 0 = probe the stream with ffprobe.</summary>
    [Range(0, 8192)]
    public int Width { get; set; }

    /// <summary>URLs only: see <see cref="Width"/>.</summary>
    [Range(0, 8192)]
    public int Height { get; set; }

    /// <summary>rtsp(s) URLs only: <c>tcp</c> (default) or <c>udp</c>.</summary>
    [Required(ErrorMessage = "RtspTransport must not be empty: tcp, udp, http or udp_multicast.")]
    [RegularExpression("^(tcp|udp|http|udp_multicast)$", ErrorMessage = "RtspTransport must be tcp, udp, http or udp_multicast.")]
    public string RtspTransport { get; set; } = "tcp";

    /// <summary>URLs only: extra ffmpeg arguments placed before <c>-i</c> (e.g. <c>["-hwaccel", "vaapi"]</c>).</summary>
    public List<string> InputArgs { get; set; } = [];

    /// <summary>Areas where motion does not wake the detector (see <c>Gating</c>), e.g. a clock overlay or a swaying tree.</summary>
    public List<MotionMask> MotionMasks { get; set; } = [];
}

/// <summary>
/// A rectangle of a camera's picture where motion is ignored (a clock overlay, a tree, a road), in fractions of the frame
/// (0 to 1), so it holds at any resolution. Faces there are still found by full scans and on tracks.
/// </summary>
public sealed class MotionMask
{
    [Range(0.0, 1.0)]
    public double X { get; set; }

    [Range(0.0, 1.0)]
    public double Y { get; set; }

    [Range(0.0, 1.0)]
    public double Width { get; set; }

    [Range(0.0, 1.0)]
    public double Height { get; set; }
}

/// <summary>How a camera's <see cref="CameraOptions.Source"/> is read.</summary>
public enum SourceKind
{
    Device,
    File,
    Url,
}

public static class SourceClassifier
{
    private static readonly string[] UrlSchemes = ["rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt", "rtp"];

    public static SourceKind Classify(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (int.TryParse(source, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
            || source.StartsWith("/dev/video", StringComparison.Ordinal))
        {
            return SourceKind.Device;
        }

        var colon = source.IndexOf("://", StringComparison.Ordinal);
        return colon > 0 ? SourceKind.Url : SourceKind.File;
    }

    /// <summary>Null when <paramref name="source"/> is a readable URL; else why not.</summary>
    public static string? ValidateUrl(string source)
    {
        if (!Uri.TryCreate(source, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return $"'{UrlRedactor.Redact(source)}' is not a valid URL";
        }

        return UrlSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase)
            ? null
            : $"URL scheme '{uri.Scheme}' is not supported (use one of {string.Join(", ", UrlSchemes)})";
    }
}
