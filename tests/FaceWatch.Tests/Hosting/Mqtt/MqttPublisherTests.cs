using System.Diagnostics;
using System.Text.Json;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;
using MQTTnet.Protocol;
using Xunit.Abstractions;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Tests.Hosting.Mqtt;

/// <summary>The publisher against a real mosquitto: every topic's payload, retained flags, discovery, throughput.</summary>
[Trait("Category", "Slow")]
public class MqttPublisherTests(MosquittoFixture mosquitto, ITestOutputHelper output) : IClassFixture<MosquittoFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static readonly string[] EventFields =
    [
        "eventId", "event", "camera", "trackId", "name", "known", "confidence", "box", "frameWidth", "frameHeight",
        "timestamp", "firstSeen", "lastSeen", "latencyMs", "reason", "nearest", "similarity", "margin", "evidence", "durationSeconds", "observations", "epoch",
    ];

    [Fact]
    public async Task Every_topic_has_its_documented_payload_and_retained_flag()
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..6];
        var jpeg = File.ReadAllBytes(TestPaths.Data("images", "obama_small.jpg"));
        await using var live = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, prefix + "/#");
        await using (var host = await PublisherHost.StartAsync(mosquitto.Port, new Dictionary<string, string?>
        {
            ["Mqtt:TopicPrefix"] = prefix,
            ["Mqtt:Snapshots"] = "true",
            ["HomeAssistant:Discovery"] = "false",
        }))
        {
            await host.WaitConnectedAsync(Wait);
            host.Health.Report(new CameraHealth("front door", true, 10, 0, 0, 5, null, DateTimeOffset.UtcNow));
            var arrived = TestEvents.Make(IdentityEventKind.Arrived, "front door", 7, "Alice", 1, jpeg);
            var changed = TestEvents.Make(IdentityEventKind.Changed, "front door", 7, "Bob", 2);
            var left = TestEvents.Make(IdentityEventKind.Left, "front door", 7, "Bob", 3);
            foreach (var e in new[] { arrived, changed, left })
            {
                await host.Hub.PublishAsync(e, CancellationToken.None);
            }

            var t = new MqttTopics(prefix);
            await live.WaitForAsync(ms => ms.Count(m => m.Topic == t.Events("front door")) == 3 && ms.Count(m => m.Topic == t.People("front door")) >= 3, Wait, "3 events and people lists");

            // events: JSON with exactly the record's fields (camelCase), QoS 1, in order
            var events = live.On(t.Events("front door"));
            Assert.Equal([arrived.EventId, changed.EventId, left.EventId], events.Select(m => Json(m)["eventId"].GetString()));
            Assert.All(events, m => Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, m.Qos));
            var first = Json(events[0]);
            Assert.Equal(EventFields.Order(), first.Keys.Order());
            Assert.Equal("arrived", first["event"].GetString());
            Assert.Equal("front door", first["camera"].GetString());
            Assert.Equal(7, first["trackId"].GetInt64());
            Assert.Equal("Alice", first["name"].GetString());
            Assert.True(first["known"].GetBoolean());
            Assert.Equal(["h", "w", "x", "y"], first["box"].EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal(JsonValueKind.Null, first["durationSeconds"].ValueKind);
            var last = Json(events[2]);
            Assert.Equal(12.5, last["durationSeconds"].GetDouble());
            Assert.Equal(37, last["observations"].GetInt32());

            // people: who is in view after each event
            var people = live.On(t.People("front door")).Select(m => JsonDocument.Parse(m.Payload).RootElement).ToArray();
            var afterArrived = people.First(p => p.GetArrayLength() == 1);
            var person = afterArrived[0];
            Assert.Equal(["confidence", "known", "name", "since", "trackId"], person.EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal("Alice", person.GetProperty("name").GetString());
            Assert.Equal(7, person.GetProperty("trackId").GetInt64());
            Assert.Contains(people, p => p.GetArrayLength() == 1 && p[0].GetProperty("name").GetString() == "Bob");
            Assert.Equal(0, people[^1].GetArrayLength());

            // snapshot: the JPEG bytes, once, on arrival only
            var snapshot = Assert.Single(live.On(t.Snapshot("front door")));
            Assert.Equal(jpeg, snapshot.Payload);

            Assert.Equal("online", Assert.Single(live.On(t.CameraStatus("front door")).Select(m => m.Text).Distinct()));

            // a late subscriber sees the retained state only: status, camera status, people; never events or snapshots
            await using var late = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, prefix + "/#");
            await late.WaitForAsync(ms => ms.Count >= 3, Wait, "retained state");
            await Task.Delay(300);
            Assert.All(late.Messages, m => Assert.True(m.Retain, m.Topic + " should be retained"));
            Assert.Equal(
                [t.People("front door"), t.CameraStatus("front door"), t.Status],
                late.Messages.Select(m => m.Topic).Order(StringComparer.Ordinal));
            Assert.Equal("online", late.On(t.Status).Single().Text);
            Assert.Equal("[]", late.On(t.People("front door")).Single().Text);
        }

        // clean stop: offline, retained
        await using var afterStop = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, prefix + "/status");
        var status = await afterStop.WaitForTopicAsync(prefix + "/status", Wait);
        Assert.Equal("offline", status.Text);
        Assert.True(status.Retain);
    }

    [Fact]
    public async Task Home_assistant_discovery_is_valid_json_with_the_documented_keys_and_removed_cameras_are_cleared()
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..6];
        var discovery = "ha" + prefix;
        // the same instance (client id) both times: only its own configs are removed
        var settings = new Dictionary<string, string?> { ["Mqtt:TopicPrefix"] = prefix, ["HomeAssistant:DiscoveryPrefix"] = discovery, ["Mqtt:ClientId"] = "fw-" + prefix };
        var t = new MqttTopics(prefix, discovery);

        await using (var host = await PublisherHost.StartAsync(mosquitto.Port, settings, ["porch", "garage door"]))
        {
            host.Health.Report(new CameraHealth("porch", true, 1, 0, 0, 5, null, DateTimeOffset.UtcNow));
            host.Health.Report(new CameraHealth("garage door", false, 0, 0, 1, 0, "no signal", DateTimeOffset.UtcNow));
            await using var sub = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, discovery + "/#");
            await sub.WaitForAsync(ms => ms.Select(m => m.Topic).Distinct().Count() == 8, Wait, "8 discovery configs");

            var docs = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "mqtt.md"));
            foreach (var camera in new[] { "porch", "garage door" })
            {
                var lastPerson = JsonDocument.Parse(sub.On(t.DiscoveryLastPerson(camera))[^1].Payload).RootElement;
                var peopleCount = JsonDocument.Parse(sub.On(t.DiscoveryPeople(camera))[^1].Payload).RootElement;
                foreach (var config in new[] { lastPerson, peopleCount })
                {
                    foreach (var key in new[] { "name", "unique_id", "state_topic", "value_template", "json_attributes_topic", "availability", "availability_mode", "device", "origin" })
                    {
                        Assert.True(config.TryGetProperty(key, out _), $"discovery config lacks '{key}'");
                    }

                    foreach (var key in config.EnumerateObject().Select(p => p.Name))
                    {
                        Assert.True(docs.Contains($"`{key}`", StringComparison.Ordinal), $"discovery key '{key}' is not documented in docs/mqtt.md");
                    }

                    Assert.Equal([t.Status, t.CameraStatus(camera)], config.GetProperty("availability").EnumerateArray().Select(a => a.GetProperty("topic").GetString()));
                    Assert.Equal("all", config.GetProperty("availability_mode").GetString());
                    Assert.Equal(t.DeviceId(camera), config.GetProperty("device").GetProperty("identifiers")[0].GetString());
                }

                Assert.Equal(t.Events(camera), lastPerson.GetProperty("state_topic").GetString());
                Assert.Equal(t.Events(camera), lastPerson.GetProperty("json_attributes_topic").GetString());
                Assert.Equal(t.People(camera), peopleCount.GetProperty("state_topic").GetString());
                Assert.NotEqual(lastPerson.GetProperty("unique_id").GetString(), peopleCount.GetProperty("unique_id").GetString());

                var stranger = JsonDocument.Parse(sub.On(t.DiscoveryStranger(camera))[^1].Payload).RootElement;
                var unknown = JsonDocument.Parse(sub.On(t.DiscoveryUnknownEvent(camera))[^1].Payload).RootElement;
                foreach (var config in new[] { stranger, unknown })
                {
                    foreach (var key in config.EnumerateObject().Select(p => p.Name))
                    {
                        Assert.True(docs.Contains($"`{key}`", StringComparison.Ordinal), $"discovery key '{key}' is not documented in docs/mqtt.md");
                    }

                    Assert.Equal([t.Status, t.CameraStatus(camera)], config.GetProperty("availability").EnumerateArray().Select(a => a.GetProperty("topic").GetString()));
                    Assert.Equal(t.DeviceId(camera), config.GetProperty("device").GetProperty("identifiers")[0].GetString());
                }

                Assert.Equal(t.People(camera), stranger.GetProperty("state_topic").GetString());
                Assert.Equal("ON", stranger.GetProperty("payload_on").GetString());
                Assert.Equal("OFF", stranger.GetProperty("payload_off").GetString());
                Assert.Equal(t.Unknown(camera), unknown.GetProperty("state_topic").GetString());
                Assert.Equal(["unknown"], unknown.GetProperty("event_types").EnumerateArray().Select(e => e.GetString()));
            }
        }

        // garage door is removed from the config: its configs and retained state are emptied at the next start
        await using (var host = await PublisherHost.StartAsync(mosquitto.Port, settings, ["porch"]))
        {
            await host.WaitConnectedAsync(Wait);
            await WaitForLogAsync(host, l => l.EventId == 6011 && l.Message.Contains(t.DiscoveryPeople("garage door"), StringComparison.Ordinal));
            await using var sub = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, discovery + "/#");
            await sub.WaitForAsync(ms => ms.Select(m => m.Topic).Distinct().Count() >= 4, Wait, "porch configs");
            await using var state = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, prefix + "/#");
            await state.WaitForAsync(ms => ms.Any(m => m.Topic == t.People("porch")), Wait, "porch state");
            await Task.Delay(500);
            Assert.Equal(
                new[] { t.DiscoveryLastPerson("porch"), t.DiscoveryPeople("porch"), t.DiscoveryStranger("porch"), t.DiscoveryUnknownEvent("porch") }.Order(StringComparer.Ordinal),
                sub.Messages.Select(m => m.Topic).Distinct().Order(StringComparer.Ordinal));
            Assert.DoesNotContain(state.Messages, m => m.Topic.Contains("garage", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_burst_of_1000_events_reaches_a_subscriber_in_order()
    {
        const int count = 1000;
        var prefix = "t" + Guid.NewGuid().ToString("N")[..6];
        var t = new MqttTopics(prefix);
        await using var host = await PublisherHost.StartAsync(mosquitto.Port, new Dictionary<string, string?> { ["Mqtt:TopicPrefix"] = prefix });
        await host.WaitConnectedAsync(Wait);
        await using var sub = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, t.Events("burst"));
        var events = Enumerable.Range(0, count).Select(i => TestEvents.Make(i % 2 == 0 ? IdentityEventKind.Arrived : IdentityEventKind.Left, "burst", i / 2, "Alice", i)).ToArray();

        var clock = Stopwatch.StartNew();
        foreach (var e in events)
        {
            await host.Hub.PublishAsync(e, CancellationToken.None);
        }

        await sub.WaitForAsync(ms => ms.Count >= count, TimeSpan.FromSeconds(60), $"{count} events");
        var elapsed = clock.Elapsed;
        var received = sub.Messages.Select(m => Json(m)["eventId"].GetString()).ToArray();
        Assert.Equal(events.Select(e => e.EventId), received);
        output.WriteLine($"MQTT throughput: {count} events (QoS 1, each with its retained people list) in {elapsed.TotalMilliseconds:F0} ms = {count / elapsed.TotalSeconds:F0} events/s");
    }

    [Fact]
    public async Task The_embedded_broker_serves_the_publisher_and_subscribers()
    {
        var port = MosquittoBroker.FreePort();
        await using var host = await PublisherHost.StartAsync(1, new Dictionary<string, string?>
        {
            ["Mqtt:Embedded:Enabled"] = "true",
            ["Mqtt:Embedded:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await host.WaitConnectedAsync(Wait);
        Assert.Contains(host.Logs.Lines, l => l.EventId == 6012 && l.Message.Contains($"127.0.0.1:{port}", StringComparison.Ordinal));
        Assert.Equal($"mqtt://127.0.0.1:{port}", host.Publisher.Broker);

        await using var sub = await MqttTestSubscriber.ConnectAsync(port, "facewatch/#");
        var status = await sub.WaitForTopicAsync("facewatch/status", Wait);
        Assert.Equal("online", status.Text);
        Assert.True(status.Retain);
        var e = TestEvents.Make(IdentityEventKind.Arrived, "porch", 1, "Alice");
        await host.Hub.PublishAsync(e, CancellationToken.None);
        var received = await sub.WaitForTopicAsync("facewatch/porch/events", Wait);
        Assert.Equal(e.EventId, Json(received)["eventId"].GetString());
    }

    [Theory]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task Mosquitto_sub_with_its_defaults_can_watch_the_embedded_broker(string protocol)
    {
        // The README's first command: mosquitto_sub sends no client id; the embedded broker must accept that.
        var port = MosquittoBroker.FreePort();
        await using var host = await PublisherHost.StartAsync(1, new Dictionary<string, string?>
        {
            ["Mqtt:Embedded:Enabled"] = "true",
            ["Mqtt:Embedded:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await host.WaitConnectedAsync(Wait);
        Assert.Contains(host.Logs.Lines, l => l.EventId == 6012); // our embedded broker, not another one on the port
        await using (var probe = await MqttTestSubscriber.ConnectAsync(port, "facewatch/status"))
        {
            // the retained status is stored (a subscription racing the very first publish can miss it in MQTTnet's server)
            await probe.WaitForTopicAsync("facewatch/status", Wait);
        }

        var psi = new ProcessStartInfo("mosquitto_sub", ["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-V", protocol, "-t", "facewatch/#", "-v", "-C", "1", "-W", "10"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var sub = Process.Start(psi)!;
        var stdout = await sub.StandardOutput.ReadToEndAsync();
        var stderr = await sub.StandardError.ReadToEndAsync();
        await sub.WaitForExitAsync();
        Assert.True(sub.ExitCode == 0, $"mosquitto_sub on port {port} failed ({sub.ExitCode}): {stderr}\nLogs:\n" + string.Join("\n", host.Logs.Lines.Select(l => $"{l.Level} {l.EventId} {l.Message}")));
        Assert.Equal("facewatch/status online", stdout.Trim());
    }

    [Fact]
    public async Task When_the_embedded_port_is_taken_by_a_broker_the_publisher_uses_that_broker()
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..6];
        await using var sub = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, prefix + "/#");
        await using var host = await PublisherHost.StartAsync(1, new Dictionary<string, string?>
        {
            ["Mqtt:TopicPrefix"] = prefix,
            ["Mqtt:Embedded:Enabled"] = "true",
            ["Mqtt:Embedded:Port"] = mosquitto.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await host.WaitConnectedAsync(Wait);
        Assert.Contains(host.Logs.Lines, l => l.EventId == 6016 && l.Message.Contains($"127.0.0.1:{mosquitto.Port}", StringComparison.Ordinal));
        Assert.Equal("online", (await sub.WaitForTopicAsync(prefix + "/status", Wait)).Text);
    }

    internal static Dictionary<string, JsonElement> Json(Received message) =>
        JsonDocument.Parse(message.Payload).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());

    internal static async Task WaitForLogAsync(PublisherHost host, Func<(Microsoft.Extensions.Logging.LogLevel Level, int EventId, string Message), bool> match)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!host.Logs.Lines.Any(match))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Expected log line not written. Logs:\n" + string.Join("\n", host.Logs.Lines.Select(l => $"{l.Level} {l.EventId} {l.Message}")));
            }

            await Task.Delay(20);
        }
    }
}
