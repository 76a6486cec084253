using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace FaceWatch.Web;

/// <summary>Section <c>Web</c>: the live view, <c>/healthz</c> and <c>/metrics</c>. Off by default, loopback by default.</summary>
public sealed class WebOptions
{
    public const string SectionName = "Web";

    public bool Enabled { get; set; }

    /// <summary>Semicolon-separated listen URLs (Kestrel syntax).</summary>
    [Required]
    public string Urls { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Required when <see cref="Urls"/> binds a non-loopback address: send as <c>Authorization: Bearer</c>, or open <c>/?token=</c> once in a browser.</summary>
    public string? Token { get; set; }

    /// <summary>Frame-rate cap of each MJPEG stream.</summary>
    [Range(1, 30)]
    public int MaxStreamFps { get; set; } = 10;

    [Range(30, 100)]
    public int JpegQuality { get; set; } = 80;

    /// <summary>How many recent events <c>/api/events</c> and the page keep.</summary>
    [Range(1, 1000)]
    public int RecentEvents { get; set; } = 50;
}

/// <summary>Cross-field rules of <see cref="WebOptions"/>: parseable URLs, and a token for any non-loopback address.</summary>
public sealed class WebOptionsValidator : IValidateOptions<WebOptions>
{
    public ValidateOptionsResult Validate(string? name, WebOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        foreach (var url in SplitUrls(options.Urls))
        {
            if (!TryHost(url, out var host))
            {
                failures.Add($"Web:Urls: '{url}' is not a URL like http://127.0.0.1:8080.");
            }
            else if (!IsLoopback(host) && string.IsNullOrWhiteSpace(options.Token))
            {
                failures.Add($"Web:Token is required: Web:Urls binds '{url}', which is not a loopback address, so the live view would be open to the network. Set Web:Token (or bind http://127.0.0.1).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static string[] SplitUrls(string urls) =>
        (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool TryHost(string url, out string host)
    {
        host = "";
        // Kestrel accepts wildcard hosts (http://*:8080, http://+:8080) that Uri does not parse.
        var normalised = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalised, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return false;
        }

        host = uri.Host.Trim('[', ']');
        return true;
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
