using System.Globalization;
using System.Text.Json;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// Issue 15, per-person presence, end to end: the real daemon on a real RTSP stream and a real enrolled gallery,
/// publishing to a real mosquitto. The performer walks in: present on the stage; the stream dies and the away time
/// passes: away; every enrolled person has retained discovery configs; a person removed from the gallery file (hot
/// reload) gets empty retained configs.
/// </summary>
[Collection(RealTimeCollection.Name)]
[Trait("Category", "Slow")]
public sealed class PersonPresenceDaemonTests(HamiltonFixture fixture, MosquittoFixture mosquitto, ITestOutputHelper output)
    : IClassFixture<HamiltonFixture>, IClassFixture<MosquittoFixture>
{
    private const string Performer = "lin_manuel_miranda";

    [Fact]
    public async Task An_enrolled_person_is_present_where_seen_then_away_and_a_removed_person_loses_their_entities()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var prefix = "fw" + run;
        var discovery = "ha" + run;
        var t = new MqttTopics(prefix, discovery);
        var dir = Directory.CreateTempSubdirectory("facewatch-people").FullName;
        var galleryPath = Path.Combine(dir, "gallery.json");
        File.Copy(fixture.GalleryPath, galleryPath);
        var gallery = GalleryStore.Load(galleryPath);
        var names = gallery.People.Select(p => p.Name).ToArray();
        Assert.Contains(Performer, names);
        var removed = names.First(n => n != Performer);

        await using var live = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, "#");
        var logs = new CollectingLoggerProvider();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Models:Dir"] = TestPaths.ModelsDir,
            ["Gallery:Path"] = galleryPath,
            ["Cameras:0:Name"] = "stage",
            ["Cameras:0:Source"] = fixture.Server.Url,
            ["Cameras:0:StallSeconds"] = "5",
            ["Mqtt:Host"] = "127.0.0.1",
            ["Mqtt:Port"] = mosquitto.Port.ToString(CultureInfo.InvariantCulture),
            ["Mqtt:TopicPrefix"] = prefix,
            ["Mqtt:ClientId"] = "fw-people-" + run,
            ["Mqtt:ReconnectMinDelaySeconds"] = "0.2",
            ["Mqtt:PersonAwaySeconds"] = "3",
            ["HomeAssistant:DiscoveryPrefix"] = discovery,
        }).Build();
        var builder = FaceWatch.DaemonHost.CreateBuilder(configuration);
        builder.Logging.AddProvider(logs);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            // the performer walks in: present, on the stage
            var present = await live.WaitForAsync(t.Person(Performer), m => State(m) == "present", TimeSpan.FromSeconds(120));
            var state = JsonDocument.Parse(present.Payload).RootElement;
            Assert.Equal("stage", state.GetProperty("camera").GetString());
            Assert.Equal(Performer, state.GetProperty("name").GetString());
            Assert.InRange(state.GetProperty("confidence").GetDouble(), 0.01, 1);

            // every enrolled person's configs are retained
            await using (var configs = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, discovery + "/#"))
            {
                await configs.WaitForAsync(
                    ms => names.All(n => ms.Any(m => m.Topic == t.DiscoveryPresence(n) && m.Retain) && ms.Any(m => m.Topic == t.DiscoveryPersonCamera(n) && m.Retain)),
                    TimeSpan.FromSeconds(20), "every enrolled person's retained discovery configs");
            }

            // the stream dies: the tracks expire, and after the away time the performer is away
            await fixture.Server.KillAsync();
            // (the retained state at start is away too, but with nothing seen yet)
            var away = await live.WaitForAsync(
                t.Person(Performer), m => State(m) == "away" && JsonDocument.Parse(m.Payload).RootElement.GetProperty("lastSeen").ValueKind != JsonValueKind.Null,
                TimeSpan.FromSeconds(90));
            Assert.Equal("stage", JsonDocument.Parse(away.Payload).RootElement.GetProperty("camera").GetString());

            // a person is removed from the gallery: a hot reload empties their configs and state
            GalleryStore.Save(gallery.Without(removed, DateTimeOffset.UtcNow), galleryPath);
            foreach (var topic in new[] { t.DiscoveryPresence(removed), t.DiscoveryPersonCamera(removed), t.Person(removed) })
            {
                await live.WaitForAsync(topic, m => m.Payload.Length == 0, TimeSpan.FromSeconds(60));
            }

            await using var after = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, discovery + "/#");
            await after.WaitForAsync(ms => ms.Any(m => m.Topic == t.DiscoveryPresence(Performer)), TimeSpan.FromSeconds(20), "the performer's config");
            await Task.Delay(500);
            Assert.DoesNotContain(after.Messages, m => m.Topic == t.DiscoveryPresence(removed) || m.Topic == t.DiscoveryPersonCamera(removed));
        }
        finally
        {
            foreach (var line in logs.Lines.Where(l => l.Level >= LogLevel.Warning))
            {
                output.WriteLine($"{line.Level} {line.Message}");
            }

            await host.StopAsync();
            if (!fixture.Server.Running)
            {
                await fixture.Server.RestartAsync();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private static string? State(Received m) =>
        m.Payload.Length == 0 ? null : JsonDocument.Parse(m.Payload).RootElement.GetProperty("state").GetString();
}
