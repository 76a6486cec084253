using System.Globalization;
using System.Text.Json;
using FaceWatch.Commands;
using FaceWatch.Hosting.Strangers;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;
using FaceWatch.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// Issue 15's review loop, all real: the daemon on a real RTSP stream (the stranger-returns set, looped: LFW strangers
/// come back while enrolled people come and go), remembering strangers, publishing to a real mosquitto with Home
/// Assistant discovery, its web view driven in headless Chromium. A stranger seen on two visits is named on the
/// strangers page; then the person's discovery config and state appear, the next visit of that face arrives with the
/// new name, enrolled people are still named, and the group's crops are gone from disk.
/// </summary>
[Collection(RealTimeCollection.Name)]
[Trait("Category", "Slow")]
public sealed class StrangerNamingDaemonTests(StrangerReturnFixture set, MosquittoFixture mosquitto, ITestOutputHelper output)
    : IClassFixture<StrangerReturnFixture>, IClassFixture<MosquittoFixture>, IDisposable
{
    private const string NewName = "returning_visitor";
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-naming-e2e").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_stranger_named_on_the_page_is_recognised_on_the_next_visit_and_gets_home_assistant_entities()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var topics = new MqttTopics("fw" + run, "ha" + run);
        var galleryPath = Path.Combine(_dir, "gallery.json");
        File.Copy(set.Set.GalleryPath, galleryPath);
        var enrolled = GalleryStore.Load(galleryPath).People.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var strangersFolder = Path.Combine(_dir, "strangers");
        var looped = RtspClipServer.PrepareLoop(set.Truth.VideoPath, repeats: 4);
        await using var server = await RtspClipServer.StartAsync(looped);
        await using var live = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, "#");

        var logs = new CollectingLoggerProvider();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Models:Dir"] = TestPaths.ModelsDir,
            ["Gallery:Path"] = galleryPath,
            ["Cameras:0:Name"] = "door",
            ["Cameras:0:Source"] = server.Url,
            ["Strangers:Enabled"] = "true",
            ["Strangers:Folder"] = strangersFolder,
            ["Web:Enabled"] = "true",
            ["Web:Urls"] = "http://127.0.0.1:0",
            ["Mqtt:Host"] = "127.0.0.1",
            ["Mqtt:Port"] = mosquitto.Port.ToString(CultureInfo.InvariantCulture),
            ["Mqtt:TopicPrefix"] = "fw" + run,
            ["Mqtt:ClientId"] = "fw-naming-" + run,
            ["HomeAssistant:DiscoveryPrefix"] = "ha" + run,
        }).Build();
        var builder = FaceWatch.DaemonHost.CreateBuilder(configuration);
        builder.Logging.AddProvider(logs);
        using var host = builder.Build();
        var events = new List<IdentityEvent>();
        var reading = Task.Run(async () =>
        {
            await foreach (var e in host.Services.GetRequiredService<IdentityEventHub>().Subscribe().ReadAllAsync())
            {
                lock (events)
                {
                    events.Add(e);
                }
            }
        });
        await host.StartAsync();
        try
        {
            // A stranger comes back: one group with two visits.
            var book = host.Services.GetRequiredService<IStrangerBook>();
            var deadline = DateTime.UtcNow.AddSeconds(90);
            StrangerGroup? group = null;
            while (DateTime.UtcNow < deadline && (group = book.Groups().FirstOrDefault(g => g.Visits >= 2)) is null)
            {
                await Task.Delay(250);
            }

            Assert.True(group is not null, "no stranger group with two visits within 90 s: " + string.Join("; ", book.Groups().Select(g => $"{g.Id} {g.Visits}")));
            var cropsFolder = Path.Combine(strangersFolder, StrangerStore.CropsFolderName);
            // The group's crops as bytes: other strangers' visits keep arriving, so the check after naming is by content, not by count.
            var groupCrops = group.Crops.Select(c => book.ReadCrop(group.Id, c.Index)).ToArray();
            Assert.All(groupCrops, Assert.NotNull);
            output.WriteLine($"group {group.Id}: {group.Visits} visits, {group.Crops.Count} crops; {Directory.GetFiles(cropsFolder).Length} crop files kept");

            // Named on the page, in a real browser.
            var url = host.Services.GetRequiredService<WebLiveViewServer>().BoundUrls[0];
            await using (var browser = await ChromiumSession.StartAsync())
            {
                await browser.NavigateAsync(url + "/strangers");
                Assert.True(await browser.WaitForAsync($"!!document.querySelector('[data-group=\"{group.Id}\"] button.do-name')", TimeSpan.FromSeconds(20)),
                    "the strangers page did not show the group");
                await browser.EvaluateAsync(
                    $"(() => {{ const g = document.querySelector('[data-group=\"{group.Id}\"]'); g.querySelector('input.name').value = '{NewName}'; g.querySelector('button.do-name').click(); return true; }})()");
                Assert.True(await browser.WaitForAsync($"!document.querySelector('[data-group=\"{group.Id}\"]')", TimeSpan.FromSeconds(30)),
                    "the group is still listed after naming it");
            }

            var namedAt = DateTimeOffset.UtcNow;
            var gallery = GalleryStore.Load(galleryPath);
            var person = Assert.Single(gallery.People, p => p.Name == NewName);
            Assert.All(person.Faces, f => Assert.StartsWith($"stranger:{group.Id}/", f.Source, StringComparison.Ordinal));
            Assert.Null(book.Find(group.Id));
            var left = Directory.GetFiles(cropsFolder).Select(File.ReadAllBytes).ToArray();
            Assert.DoesNotContain(left, bytes => groupCrops.Any(c => c!.AsSpan().SequenceEqual(bytes)));

            // Home Assistant gets the new person's entities, and the next visit of that face arrives with the name.
            // (a live subscriber sees no retain flag: a new one proves the config is retained)
            await live.WaitForAsync(topics.DiscoveryPresence(NewName), m => m.Payload.Length > 0, TimeSpan.FromSeconds(30));
            await using var retained = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, topics.DiscoveryPresence(NewName));
            var config = await retained.WaitForAsync(topics.DiscoveryPresence(NewName), m => m.Retain && m.Payload.Length > 0, TimeSpan.FromSeconds(10));
            Assert.Equal(topics.Person(NewName), JsonDocument.Parse(config.Payload).RootElement.GetProperty("state_topic").GetString());
            var present = await live.WaitForAsync(
                topics.Person(NewName), m => m.Payload.Length > 0 && JsonDocument.Parse(m.Payload).RootElement.GetProperty("state").GetString() == "present",
                TimeSpan.FromSeconds(90));
            Assert.Equal("door", JsonDocument.Parse(present.Payload).RootElement.GetProperty("camera").GetString());

            IdentityEvent[] after;
            lock (events)
            {
                after = [.. events.Where(e => e.Timestamp > namedAt && e.Event == IdentityEventKind.Arrived)];
            }

            foreach (var e in after)
            {
                output.WriteLine($"after naming: {e.Event} #{e.TrackId} {e.Name} ({e.Confidence:0.00}) at {e.Timestamp:HH:mm:ss.f}");
            }

            Assert.Contains(after, e => e.Name == NewName && e.Known);
            // Enrolled people are still themselves: one of them arrives named while the new person is in the gallery.
            bool EnrolledArrived(IdentityEvent e) => e.Timestamp > namedAt && e.Event == IdentityEventKind.Arrived && e.Known && enrolled.Contains(e.Name);
            deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !Snapshot(events).Any(EnrolledArrived))
            {
                await Task.Delay(250);
            }

            Assert.Contains(Snapshot(events), EnrolledArrived);
        }
        finally
        {
            foreach (var line in logs.Lines.Where(l => l.Level >= LogLevel.Warning))
            {
                output.WriteLine($"{line.Level} {line.Message}");
            }

            await host.StopAsync();
            await reading.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    private static IdentityEvent[] Snapshot(List<IdentityEvent> events)
    {
        lock (events)
        {
            return [.. events];
        }
    }
}
