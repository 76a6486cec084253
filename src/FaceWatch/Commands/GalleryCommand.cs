using System.CommandLine;
using System.Net;
using System.Text.Json;
using FaceWatch.Configuration;

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
            if (DaemonApiClient.Problem(configuration) is { } problem)
            {
                Console.Error.WriteLine($"facewatch {Verb}: {problem}");
                return 2;
            }

            using var client = new DaemonApiClient(configuration, Timeout);
            return await RunAsync(client, parseResult.GetValue(eventId)!, ct).ConfigureAwait(false);
        });

        var command = new Command("gallery", "Change the running daemon's gallery: reject a wrong match.");
        command.Subcommands.Add(reject);
        return command;
    }

    private static async Task<int> RunAsync(DaemonApiClient client, string eventId, CancellationToken ct)
    {
        HttpResponseMessage response;
        string body;
        try
        {
            response = await client.SendAsync(HttpMethod.Post, $"api/events/{Uri.EscapeDataString(eventId)}/reject", null, ct).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            Console.Error.WriteLine($"facewatch {Verb}: cannot reach the daemon at {client.Shown} (Web:Urls): {VerbConsole.Safe(e.Message)}. Is it running with Web:Enabled and this --config?");
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
