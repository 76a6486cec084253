using System.Text.RegularExpressions;

namespace FaceWatch.Core.Text;

/// <summary>
/// Masks the password of every URL in a text (<c>rtsp://user:secret@host</c> becomes <c>rtsp://user:***@host</c>),
/// so camera credentials never reach a log line, an exception message or a health report. Anything shaped like
/// user-info counts, whatever a URL parser would make of it: <c>rtsp:/user:pw@host</c> (one slash, which is a file
/// path to the source classifier), <c>rtsp:user:pw@host</c>, <c>user:pw@host</c> without a scheme, and the same inside
/// a longer path such as <c>/srv/rtsp:/user:pw@host</c>.
/// </summary>
public static partial class UrlRedactor
{
    public const string Mask = "***";

    /// <summary>Masks passwords of all URLs in <paramref name="text"/>; also masks <c>password=...</c> query values.</summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        var masked = UserInfoPattern().Replace(text, m => m.Groups["scheme"].Value + m.Groups["user"].Value + ":" + Mask + "@");
        return QueryPasswordPattern().Replace(masked, m => m.Groups["key"].Value + "=" + Mask);
    }

    // [scheme:][any slashes]user:password@ ; the password runs to the last '@' before the next '/' or white space
    // (passwords may contain '@' or ':'). The scheme and the slashes are optional, so malformed URLs are masked too.
    [GeneratedRegex(@"(?<scheme>(?:[a-zA-Z][a-zA-Z0-9+.\-]*:)?/*)(?<user>[^:/@\s'""]*):(?<pass>[^/\s]*)@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfoPattern();

    [GeneratedRegex(@"(?<key>\b(?:password|passwd|pwd)\b)=(?<value>[^&\s]*)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex QueryPasswordPattern();
}
