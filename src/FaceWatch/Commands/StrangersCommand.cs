using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FaceWatch.Configuration;
using FaceWatch.Core.Text;
using FaceWatch.Web;
using Microsoft.Extensions.Configuration;

namespace FaceWatch.Commands;

/// <summary>
/// <c>facewatch strangers list [--json] | name ID PERSON | ignore ID | forget ID</c>: the review of remembered strangers,
/// done by the running daemon (it owns the store and the gallery) through its web API at the first <c>Web:Urls</c>
/// address, with <c>Web:Token</c> as the Bearer token (read from the settings, never printed). Same settings as the daemon.
/// Exit codes: 0 done, 1 refused (bad name, the mislabel check, no gallery file), 2 settings (web view off, no usable
/// URL), 3 daemon not reachable, 4 no such group.
/// </summary>
internal static class StrangersCommand
{
    public const int Refused = 1;
    public const int Settings = 2;
    public const int Unreachable = 3;
    public const int UnknownGroup = 4;

    /// <summary>Naming retrains the gallery: give it time, but never hang.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the daemon's JSON ({\"enabled\", \"groups\": [...]}) as it is." };
        var list = new Command("list", "List the remembered stranger groups: id, visits, first and last seen, cameras.") { json };
        list.SetAction((parseResult, ct) => RunAsync(parseResult, "list", c => ListAsync(c, parseResult.GetValue(json), ct)));

        var nameId = new Argument<string>("id") { Description = "The stranger group's id (from 'facewatch strangers list')." };
        var person = new Argument<string>("person") { Description = "Who it is: a new or an enrolled person." };
        var name = new Command("name", "Enroll the group's faces as PERSON (new or enrolled; checked against their enrolled faces), then forget the group.") { nameId, person };
        name.SetAction((parseResult, ct) =>
        {
            var id = parseResult.GetValue(nameId)!;
            var body = JsonSerializer.Serialize(new NameRequest(parseResult.GetValue(person)), StrangerReviewJsonContext.Default.NameRequest);
            return RunAsync(parseResult, "name", c => WriteAsync(c, HttpMethod.Post, Path(id, "/name"), body, ct));
        });

        var ignoreId = new Argument<string>("id") { Description = "The stranger group's id." };
        var ignore = new Command("ignore", "Never announce this stranger again (kept as negative faces in the gallery: events say 'ignored'), then forget the group.") { ignoreId };
        ignore.SetAction((parseResult, ct) =>
            RunAsync(parseResult, "ignore", c => WriteAsync(c, HttpMethod.Post, Path(parseResult.GetValue(ignoreId)!, "/ignore"), null, ct)));

        var forgetId = new Argument<string>("id") { Description = "The stranger group's id." };
        var forget = new Command("forget", "Delete the group's crops and embeddings.") { forgetId };
        forget.SetAction((parseResult, ct) =>
            RunAsync(parseResult, "forget", c => WriteAsync(c, HttpMethod.Delete, Path(parseResult.GetValue(forgetId)!, ""), null, ct)));

        var command = new Command("strangers", "Review the strangers the running daemon remembers (Strangers:Enabled), through its web API (Web:Enabled).");
        command.Subcommands.Add(list);
        command.Subcommands.Add(name);
        command.Subcommands.Add(ignore);
        command.Subcommands.Add(forget);
        return command;
    }

    private static string Path(string id, string rest) => "api/strangers/" + Uri.EscapeDataString(id) + rest;

    private static async Task<int> RunAsync(ParseResult parseResult, string verb, Func<DaemonApiClient, Task<int>> body)
    {
        IConfigurationRoot configuration;
        try
        {
            configuration = FaceWatchConfiguration.Build(parseResult.GetValue(CommonOptions.Config));
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine($"facewatch strangers {verb}: {VerbConsole.Safe(e.Message)}");
            return Settings;
        }

        if (DaemonApiClient.Problem(configuration) is { } problem)
        {
            Console.Error.WriteLine($"facewatch strangers {verb}: {problem}");
            return Settings;
        }

        using var client = new DaemonApiClient(configuration, Timeout);
        try
        {
            return await body(client).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            // The message of the exception may carry the address as configured; print the redacted one only.
            var why = e is TaskCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : Reason(e);
            Console.Error.WriteLine($"facewatch strangers {verb}: the daemon is not reachable at {client.Shown} ({why}). Is 'facewatch run' running with Web:Enabled true and these settings?");
            return Unreachable;
        }
    }

    private static string Reason(Exception e) =>
        e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } ? "connection refused"
        : VerbConsole.Safe(UrlRedactor.Redact(e.InnerException?.Message ?? e.Message));

    private static async Task<int> ListAsync(DaemonApiClient client, bool json, CancellationToken ct)
    {
        using var response = await client.SendAsync(HttpMethod.Get, "api/strangers", null, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return Failed("list", response.StatusCode, text);
        }

        if (json)
        {
            Console.WriteLine(text);
            return 0;
        }

        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        if (!root.GetProperty("enabled").GetBoolean())
        {
            Console.WriteLine("Strangers are not remembered: Strangers:Enabled is off in the daemon's settings.");
            return 0;
        }

        var groups = root.GetProperty("groups").EnumerateArray().ToList();
        if (groups.Count == 0)
        {
            Console.WriteLine("No strangers remembered.");
            return 0;
        }

        Console.WriteLine($"{"id",-24} {"visits",6}  {"first seen (UTC)",-19}  {"last seen (UTC)",-19}  cameras");
        foreach (var g in groups)
        {
            var cameras = string.Join(", ", g.GetProperty("cameras").EnumerateArray().Select(c => VerbConsole.Safe(c.GetString())));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{VerbConsole.Safe(g.GetProperty("id").GetString()),-24} {g.GetProperty("visits").GetInt32(),6}  {When(g, "firstSeen"),-19}  {When(g, "lastSeen"),-19}  {cameras}"));
        }

        return 0;
    }

    private static string When(JsonElement g, string property) =>
        g.GetProperty(property).GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static async Task<int> WriteAsync(DaemonApiClient client, HttpMethod method, string path, string? json, CancellationToken ct)
    {
        using var response = await client.SendAsync(method, path, json, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var verb = method == HttpMethod.Delete ? "forget" : path.EndsWith("/name", StringComparison.Ordinal) ? "name" : "ignore";
        if (!response.IsSuccessStatusCode)
        {
            return Failed(verb, response.StatusCode, text);
        }

        using var doc = JsonDocument.Parse(text);
        var r = doc.RootElement;
        var group = VerbConsole.Safe(r.GetProperty("group").GetString());
        var faces = r.GetProperty("faces").GetInt32();
        Console.WriteLine(verb switch
        {
            "name" => $"Stranger group {group} named {VerbConsole.Safe(r.GetProperty("person").GetString())}: {faces} faces enrolled{(r.GetProperty("newPerson").GetBoolean() ? " (new person)" : "")}; the gallery is live.",
            "ignore" => $"Stranger group {group} ignored: {faces} faces kept as negatives; it will not be announced again.",
            _ => $"Stranger group {group} forgotten.",
        });
        return 0;
    }

    private static int Failed(string verb, HttpStatusCode status, string body)
    {
        var detail = Detail(body) ?? $"HTTP {(int)status}";
        Console.Error.WriteLine($"facewatch strangers {verb}: {VerbConsole.Safe(detail)}");
        return status switch
        {
            HttpStatusCode.NotFound => UnknownGroup,
            HttpStatusCode.Unauthorized => Settings,
            _ => Refused,
        };
    }

    /// <summary>The problem's detail, the token middleware's plain text, or null.</summary>
    private static string? Detail(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
        }
        catch (JsonException)
        {
            return body.Length is > 0 and < 300 ? body : null;
        }
    }
}
