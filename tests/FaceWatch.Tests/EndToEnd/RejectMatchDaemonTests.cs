using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// Issue 15, "that was not me", end to end: the real daemon on a real RTSP stream (the Hamilton clip, looped) with a
/// gallery in which the performer is enrolled under a wrong name, so its events name him wrongly. <c>facewatch gallery
/// reject</c> (the real CLI, with the daemon's config and its Web:Token) rejects one such event through the web API;
/// the next visits of that face (the clip comes round again every 10 s) are no longer named that way.
/// </summary>
[Collection(RealTimeCollection.Name)]
[Trait("Category", "Slow")]
public sealed class RejectMatchDaemonTests(HamiltonFixture fixture, ITestOutputHelper output) : IClassFixture<HamiltonFixture>
{
    private const string Performer = "lin_manuel_miranda";
    private const string WrongName = "wrong_name";

    [Fact]
    public async Task A_rejected_wrong_name_is_not_given_to_the_next_visit_of_that_face()
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-reject").FullName;
        var galleryPath = Path.Combine(dir, "gallery.json");
        var enrolled = GalleryStore.Load(fixture.GalleryPath);
        Assert.Contains(enrolled.People, p => p.Name == Performer);
        var wrong = Gallery.Create(
            enrolled.Model, enrolled.People.Select(p => p.Name == Performer ? p with { Name = WrongName } : p), DateTimeOffset.UtcNow, enrolled.Training, enrolled.Calibration);
        GalleryStore.Save(wrong, galleryPath);

        var port = ExternalTools.FreeTcpPort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var token = Guid.NewGuid().ToString("N");
        var configPath = Path.Combine(dir, "config.json");
        File.WriteAllText(configPath, new JsonObject
        {
            ["Web"] = new JsonObject { ["Enabled"] = true, ["Urls"] = baseUrl, ["Token"] = token },
        }.ToJsonString());
        var logs = new CollectingLoggerProvider();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Models:Dir"] = TestPaths.ModelsDir,
            ["Gallery:Path"] = galleryPath,
            ["Cameras:0:Name"] = "stage",
            ["Cameras:0:Source"] = fixture.Server.Url,
            ["Web:Enabled"] = "true",
            ["Web:Urls"] = baseUrl,
            ["Web:Token"] = token,
        }).Build();
        var builder = FaceWatch.DaemonHost.CreateBuilder(configuration);
        builder.Logging.AddProvider(logs);
        using var host = builder.Build();
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await host.StartAsync();
        try
        {
            // the performer is named wrongly
            var named = await WaitForEventAsync(http, baseUrl, e => Decision(e) && Name(e) == WrongName && e.GetProperty("known").GetBoolean(), TimeSpan.FromSeconds(120));
            var eventId = named.GetProperty("eventId").GetString()!;
            output.WriteLine($"wrong match: {named}");

            // reject it with the CLI, as a user would: the daemon's config, its token in that config only
            var cli = await Cli.RunAsync(dir, null, TimeSpan.FromMinutes(1), "--config", configPath, "gallery", "reject", eventId);
            output.WriteLine(cli.ToString());
            Assert.True(cli.ExitCode == 0, cli.ToString());
            Assert.Contains($"Event '{eventId}' rejected", cli.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(token, cli.Stdout + cli.Stderr, StringComparison.Ordinal);
            var rejectedAt = DateTimeOffset.UtcNow;
            var negative = Assert.Single(GalleryStore.Load(galleryPath).Negatives);
            Assert.Equal((WrongName, $"event:{eventId}"), (negative.Person, negative.Source));
            Assert.Contains(logs.Lines, l => l.Message.Contains("1 negative (wrong_name 1)", StringComparison.Ordinal));

            var again = await Cli.RunAsync(dir, null, TimeSpan.FromMinutes(1), "--config", configPath, "gallery", "reject", eventId);
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Contains("already rejected", again.Stdout, StringComparison.Ordinal);
            var missing = await Cli.RunAsync(dir, null, TimeSpan.FromMinutes(1), "--config", configPath, "gallery", "reject", "0123456789abcdef0123456789abcdef");
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("'0123456789abcdef0123456789abcdef' is not among", missing.Stderr, StringComparison.Ordinal);

            // the next visits of that face (two more rounds of the clip): decided, with him as the nearest, never named so
            var settle = rejectedAt.AddSeconds(2);
            var next = await WaitForEventAsync(
                http, baseUrl, e => Decision(e) && Time(e) > settle && e.GetProperty("nearest").GetString() == WrongName, TimeSpan.FromSeconds(60));
            output.WriteLine($"next decision: {next}");
            await Task.Delay(TimeSpan.FromSeconds(20));
            var after = (await EventsAsync(http, baseUrl)).Where(e => Decision(e) && Time(e) > settle).ToList();
            foreach (var e in after)
            {
                output.WriteLine($"after: {e}");
            }

            Assert.NotEmpty(after);
            Assert.DoesNotContain(after, e => Name(e) == WrongName);
        }
        finally
        {
            foreach (var line in logs.Lines.Where(l => l.Level >= LogLevel.Warning))
            {
                output.WriteLine($"{line.Level} {line.Message}");
            }

            await host.StopAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool Decision(JsonElement e) => e.GetProperty("event").GetString() is "arrived" or "changed";

    private static string? Name(JsonElement e) => e.GetProperty("name").GetString();

    private static DateTimeOffset Time(JsonElement e) => DateTimeOffset.Parse(e.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);

    private static async Task<List<JsonElement>> EventsAsync(HttpClient http, string baseUrl)
    {
        var text = await http.GetStringAsync(baseUrl + "/api/events");
        return [.. JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static async Task<JsonElement> WaitForEventAsync(HttpClient http, string baseUrl, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var seen = new List<JsonElement>();
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                seen = await EventsAsync(http, baseUrl);
                if (seen.FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found)
                {
                    return found;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(500);
        }

        throw new TimeoutException("no such event within " + timeout + "; latest: " + string.Join("\n", seen.Take(10)));
    }
}
