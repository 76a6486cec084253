using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FaceWatch.Configuration;
using FaceWatch.Web;
using Microsoft.Extensions.Configuration;

namespace FaceWatch.Commands;

/// <summary>
/// <c>facewatch gallery reject &lt;event-id&gt;</c>: "that was not me". The events live in the running daemon's memory
/// (with the visit's evidence embedding, which is never published), so the verb asks that daemon, through its web API
/// (<c>POST /api/events/{id}/reject</c> at the first <c>Web:Urls</c> address, <c>Web:Token</c> as a Bearer header), with
/// the daemon's own configuration (<c>--config</c>). It needs the daemon running with <c>Web:Enabled</c>.
/// </summary>
internal static class GalleryCommand
{
    private const string Verb = "gallery reject";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var eventId = new Argument<string>("event-id") { Description = "The eventId of the arrived/changed event that named the wrong person (MQTT events, /api/events, the web view)." };
        var reject = new Command(
            "reject",
            "Stores the face of a wrongly matched event as a negative of the person it named, so that face no longer matches them. Asks the running daemon (Web:Enabled) at its first Web:Urls address.")
        {
            eventId,
        };
        reject.SetAction(async (parseResult, ct) =>
        {
            var configuration = FaceWatchConfiguration.Build(parseResult.GetValue(CommonOptions.Config));
            var web = configuration.GetSection(WebOptions.SectionName).Get<WebOptions>() ?? new WebOptions();
            if (!web.Enabled)
            {
                Console.Error.WriteLine(
                    $"facewatch {Verb}: Web:Enabled is false: the events are in the running daemon's memory and this verb asks its web API; run the daemon with \"Web\": {{ \"Enabled\": true }} and the same --config.");
                return 2;
            }

            if (BaseAddress(web.Urls) is not { } address)
            {
                Console.Error.WriteLine($"facewatch {Verb}: Web:Urls = '{VerbConsole.Safe(web.Urls)}' has no address this verb can call (port 0 or not an http(s) URL).");
                return 2;
            }

            return await RunAsync(address, web.Token, parseResult.GetValue(eventId)!, ct).ConfigureAwait(false);
        });

        var command = new Command("gallery", "Change the running daemon's gallery: reject a wrong match.");
        command.Subcommands.Add(reject);
        return command;
    }

    /// <summary>The first <c>Web:Urls</c> address as a client reaches it: a wildcard bind is called on loopback.</summary>
    internal static Uri? BaseAddress(string urls)
    {
        var first = WebOptionsValidator.SplitUrls(urls).FirstOrDefault();
        if (first is null)
        {
            return null;
        }

        first = first.Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://[::1]", StringComparison.Ordinal);
        return Uri.TryCreate(first, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Port > 0 ? uri : null;
    }

    private static async Task<int> RunAsync(Uri address, string? token, string eventId, CancellationToken ct)
    {
        var url = new Uri(address, $"/api/events/{Uri.EscapeDataString(eventId)}/reject");
        using var http = new HttpClient { Timeout = Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        if (!string.IsNullOrEmpty(token))
        {
            // In this process's memory only: never on a command line, never printed.
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HttpResponseMessage response;
        string body;
        try
        {
            response = await http.SendAsync(request, ct).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            Console.Error.WriteLine($"facewatch {Verb}: cannot reach the daemon at {address} (Web:Urls): {VerbConsole.Safe(e.Message)}. Is it running with Web:Enabled and this --config?");
            return 1;
        }

        using (response)
        {
            var text = Field(body, response.IsSuccessStatusCode ? "message" : "detail") ?? body;
            if (response.IsSuccessStatusCode)
            {
                Console.WriteLine(VerbConsole.Safe(text));
                return 0;
            }

            var why = response.StatusCode == HttpStatusCode.Unauthorized
                ? "the daemon refused the token: Web:Token in this --config is not the daemon's"
                : text.Length > 0 ? text : $"HTTP {(int)response.StatusCode}";
            Console.Error.WriteLine($"facewatch {Verb}: {VerbConsole.Safe(why)}");
            return 1;
        }
    }

    private static string? Field(string body, string name)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
