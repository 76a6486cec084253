using System.Text.RegularExpressions;

namespace FaceWatch.Cluster;

/// <summary>NATS server URLs as configured: parsing for validation and masking of credentials before anything is logged.</summary>
public static partial class NatsUrl
{
    public const string Mask = "***";

    private static readonly string[] Schemes = ["nats", "tls", "ws", "wss"];

    /// <summary>Masks every user-info part (<c>nats://user:pw@host</c> and token form <c>nats://token@host</c> become <c>nats://***@host</c>).</summary>
    public static string Redact(string? urls) =>
        string.IsNullOrEmpty(urls) ? urls ?? "" : UserInfo().Replace(urls, m => m.Groups["scheme"].Value + Mask + "@");

    /// <summary>Why <paramref name="urls"/> is not a list of NATS URLs, or null when it is.</summary>
    internal static string? Problem(string urls)
    {
        foreach (var part in urls.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0)
            {
                return "has an empty entry";
            }

            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || !Schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase)
                || string.IsNullOrEmpty(uri.Host))
            {
                return $"'{Redact(part)}' is not a URL of the form nats://host:port (schemes nats, tls, ws, wss)";
            }
        }

        return null;
    }

    // scheme:// then everything up to the last '@' before the host: user:password, user or a token
    [GeneratedRegex(@"(?<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)[^/\s,]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfo();
}
