using System.Net.Http.Headers;
using System.Text;
using FaceWatch.Core.Text;
using FaceWatch.Web;
using Microsoft.Extensions.Configuration;

namespace FaceWatch.Commands;

/// <summary>The verbs that ask the running daemon (<c>strangers</c>, <c>gallery reject</c>): HTTP to its web API at the first <c>Web:Urls</c> address, with <c>Web:Token</c> as the Bearer token (in memory only: never on a command line, never printed); <see cref="Shown"/> is the address as it may be printed.</summary>
internal sealed class DaemonApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string? _token;

    public DaemonApiClient(IConfiguration configuration, TimeSpan timeout)
    {
        var address = Target(configuration)!;
        _token = configuration[$"{WebOptions.SectionName}:{nameof(WebOptions.Token)}"];
        _http = new HttpClient { BaseAddress = address, Timeout = timeout };
        Shown = UrlRedactor.Redact(address.GetLeftPart(UriPartial.Authority));
    }

    public string Shown { get; }

    /// <summary>Why the settings give no daemon to talk to, or null.</summary>
    public static string? Problem(IConfiguration configuration)
    {
        var enabled = configuration[$"{WebOptions.SectionName}:{nameof(WebOptions.Enabled)}"];
        if (!bool.TryParse(enabled, out var on) || !on)
        {
            return "the web view is off (Web:Enabled is not true): this verb asks the running daemon through its web API; set Web:Enabled true (and keep Web:Urls on loopback or set Web:Token), restart 'facewatch run', and try again.";
        }

        var urls = configuration[$"{WebOptions.SectionName}:{nameof(WebOptions.Urls)}"] ?? new WebOptions().Urls;
        var first = WebOptionsValidator.SplitUrls(urls).FirstOrDefault();
        if (first is null || Target(configuration) is null)
        {
            return $"Web:Urls '{VerbConsole.Safe(UrlRedactor.Redact(first ?? urls))}' gives no address to reach the daemon at (a URL like http://127.0.0.1:8080 with a fixed port).";
        }

        return null;
    }

    /// <summary>The first <c>Web:Urls</c> address as a client reaches it: a wildcard bind is reached on loopback.</summary>
    public static Uri? Target(IConfiguration configuration)
    {
        var urls = configuration[$"{WebOptions.SectionName}:{nameof(WebOptions.Urls)}"] ?? new WebOptions().Urls;
        var first = WebOptionsValidator.SplitUrls(urls).FirstOrDefault();
        if (first is null)
        {
            return null;
        }

        var normalised = first.Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://[::1]", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalised, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Port == 0)
        {
            return null;
        }

        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (!string.IsNullOrEmpty(_token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await _http.SendAsync(request, ct).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();
}
