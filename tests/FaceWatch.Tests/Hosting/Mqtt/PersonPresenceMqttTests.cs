using System.Text.Json;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;

namespace FaceWatch.Tests.Hosting.Mqtt;

/// <summary>
/// Issue 15, per-person presence, through the publisher against a real mosquitto: the retained
/// <c>&lt;prefix&gt;/people/&lt;person&gt;</c> state, each enrolled person's Home Assistant configs, their removal on a
/// hot reload and at the next start, and the strangers of a camera.
/// </summary>
[Trait("Category", "Slow")]
public class PersonPresenceMqttTests(MosquittoFixture mosquitto) : IClassFixture<MosquittoFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Enrolled_people_get_retained_presence_and_discovery_and_removed_people_are_emptied()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var prefix = "fw" + run;
        var discovery = "ha" + run;
        var t = new MqttTopics(prefix, discovery);
        var settings = new Dictionary<string, string?>
        {
            ["Mqtt:TopicPrefix"] = prefix,
            ["HomeAssistant:DiscoveryPrefix"] = discovery,
            ["Mqtt:ClientId"] = "fw-" + run,
            ["Mqtt:PersonAwaySeconds"] = "2",
        };
        var enrolled = new TestEnrolledPeople("Alice", "Bob Smith", "Carol");

        await using (var host = await PublisherHost.StartAsync(mosquitto.Port, settings, ["porch"], enrolled))
        {
            await host.WaitConnectedAsync(Wait);
            await using var sub = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, "#");
            string[] people = ["Alice", "Bob Smith", "Carol"];
            await sub.WaitForAsync(
                ms => people.All(p => ms.Any(m => m.Topic == t.DiscoveryPresence(p)) && ms.Any(m => m.Topic == t.DiscoveryPersonCamera(p)) && ms.Any(m => m.Topic == t.Person(p))),
                Wait, "every enrolled person's configs and state");

            foreach (var person in people)
            {
                var presence = Json(sub.On(t.DiscoveryPresence(person))[^1]);
                Assert.True(sub.On(t.DiscoveryPresence(person))[^1].Retain);
                Assert.Equal(t.Person(person), presence.GetProperty("state_topic").GetString());
                Assert.Equal("present", presence.GetProperty("payload_on").GetString());
                Assert.Equal("away", presence.GetProperty("payload_off").GetString());
                Assert.Equal("presence", presence.GetProperty("device_class").GetString());
                Assert.Equal(t.PersonUniqueId(person, "presence"), presence.GetProperty("unique_id").GetString());
                Assert.Equal(person, presence.GetProperty("device").GetProperty("name").GetString());
                var lastCamera = Json(sub.On(t.DiscoveryPersonCamera(person))[^1]);
                Assert.Equal(t.Person(person), lastCamera.GetProperty("json_attributes_topic").GetString());
                var state = Json(sub.On(t.Person(person))[^1]);
                Assert.Equal("away", state.GetProperty("state").GetString());
                Assert.Equal(person, state.GetProperty("name").GetString());
            }

            Assert.Equal($"{prefix}/people/Bob_Smith", t.Person("Bob Smith"));

            // Alice walks in on the porch: present, with the camera; a stranger too: the camera's unknown event
            await host.Hub.PublishAsync(TestEvents.Make(IdentityEventKind.Arrived, "porch", 1, "Alice", 1), CancellationToken.None);
            await host.Hub.PublishAsync(TestEvents.Make(IdentityEventKind.Arrived, "porch", 2, "unknown", 2), CancellationToken.None);
            var present = await sub.WaitForAsync(t.Person("Alice"), m => Json(m).GetProperty("state").GetString() == "present", Wait);
            Assert.Equal("porch", Json(present).GetProperty("camera").GetString());
            await using (var late = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, t.Person("Alice")))
            {
                var kept = await late.WaitForTopicAsync(t.Person("Alice"), Wait);
                Assert.True(kept.Retain);
                Assert.Equal("present", Json(kept).GetProperty("state").GetString());
            }

            Assert.Equal(0.91, Json(present).GetProperty("confidence").GetDouble());
            var unknown = await sub.WaitForTopicAsync(t.Unknown("porch"), Wait);
            Assert.False(unknown.Retain);
            Assert.Equal("unknown", Json(unknown).GetProperty("event_type").GetString());

            // she leaves: away once the away time passed
            await host.Hub.PublishAsync(TestEvents.Make(IdentityEventKind.Left, "porch", 1, "Alice", 3), CancellationToken.None);
            var away = await sub.WaitForAsync(t.Person("Alice"), m => Json(m).GetProperty("state").GetString() == "away" && Json(m).GetProperty("lastSeen").ValueKind != JsonValueKind.Null, Wait);
            Assert.Equal("porch", Json(away).GetProperty("camera").GetString());

            // Carol is removed from the gallery (hot reload): her configs and state are emptied (retained)
            enrolled.Set("Alice", "Bob Smith");
            foreach (var topic in new[] { t.DiscoveryPresence("Carol"), t.DiscoveryPersonCamera("Carol"), t.Person("Carol") })
            {
                await sub.WaitForAsync(topic, m => m.Payload.Length == 0, Wait);
            }

            await using var afterReload = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, "#");
            await afterReload.WaitForAsync(ms => ms.Any(m => m.Topic == t.Person("Alice")), Wait, "Alice's retained state");
            await Task.Delay(500);
            Assert.DoesNotContain(afterReload.Messages, m => m.Topic.Contains("Carol", StringComparison.Ordinal));
        }

        // the next start has only Alice: Bob's configs (found on the broker) are emptied, Alice's kept
        await using (var host = await PublisherHost.StartAsync(mosquitto.Port, settings, ["porch"], new TestEnrolledPeople("Alice")))
        {
            await host.WaitConnectedAsync(Wait);
            await using var retained = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, discovery + "/#");
            await retained.WaitForAsync(ms => ms.Any(m => m.Topic == t.DiscoveryPresence("Alice")), Wait, "Alice's config");
            var deadline = DateTime.UtcNow + Wait;
            await using var fresh = await WaitUntilAsync(
                () => MqttTestSubscriber.ConnectAsync(mosquitto.Port, discovery + "/#"),
                s => s.Messages.Any(m => m.Topic == t.DiscoveryPresence("Alice")) && !s.Messages.Any(m => m.Topic.Contains("person_Bob", StringComparison.Ordinal)),
                deadline);
            Assert.DoesNotContain(fresh.Messages, m => m.Topic.Contains("Carol", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Issue 15: an ignored stranger (events name them <c>ignored</c>, not known) is in the camera's people list but fires
    /// no <c>&lt;prefix&gt;/&lt;camera&gt;/unknown</c>, does not turn the "Stranger in view" sensor on (its published value
    /// template, rendered with Jinja2 as Home Assistant does, on the published people list) and is nobody's presence.
    /// </summary>
    [Fact]
    public async Task An_ignored_stranger_is_listed_but_never_announced_as_a_stranger()
    {
        var python = ExternalTools.Require("python3", "python3-jinja2");
        var run = Guid.NewGuid().ToString("N")[..6];
        var prefix = "fw" + run;
        var t = new MqttTopics(prefix, "ha" + run);
        var settings = new Dictionary<string, string?>
        {
            ["Mqtt:TopicPrefix"] = prefix,
            ["HomeAssistant:DiscoveryPrefix"] = "ha" + run,
            ["Mqtt:ClientId"] = "fw-" + run,
        };
        await using var host = await PublisherHost.StartAsync(mosquitto.Port, settings, ["porch"], new TestEnrolledPeople("Alice"));
        await host.WaitConnectedAsync(Wait);
        await using var sub = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, "#");
        var config = await sub.WaitForTopicAsync(t.DiscoveryStranger("porch"), Wait);
        var template = Json(config).GetProperty("value_template").GetString()!;

        var ignored = TestEvents.Make(IdentityEventKind.Arrived, "porch", 5, "ignored", 1) with { Known = false };
        await host.Hub.PublishAsync(ignored, CancellationToken.None);
        var listed = await sub.WaitForAsync(t.People("porch"), m => m.Payload.Length > 2, Wait);
        Assert.Equal(("ignored", false), (Json(listed)[0].GetProperty("name").GetString(), Json(listed)[0].GetProperty("known").GetBoolean()));
        Assert.Equal("OFF", await RenderAsync(python, template, listed));

        // a real stranger afterwards: the unknown event (for them only) and the sensor on
        var stranger = TestEvents.Make(IdentityEventKind.Arrived, "porch", 6, "unknown", 2);
        await host.Hub.PublishAsync(stranger, CancellationToken.None);
        var both = await sub.WaitForAsync(t.People("porch"), m => Json(m).GetArrayLength() == 2, Wait);
        Assert.Equal("ON", await RenderAsync(python, template, both));
        var unknown = await sub.WaitForTopicAsync(t.Unknown("porch"), Wait);
        await Task.Delay(300);
        Assert.Equal([stranger.EventId], sub.On(t.Unknown("porch")).Select(m => Json(m).GetProperty("eventId").GetString()));
        Assert.Equal(stranger.EventId, Json(unknown).GetProperty("eventId").GetString());
        Assert.Equal("away", Json(sub.On(t.Person("Alice"))[^1]).GetProperty("state").GetString());
        Assert.DoesNotContain(sub.Messages, m => m.Topic == t.Person("ignored"));
    }

    /// <summary>Renders a Home Assistant value template with Jinja2 (what Home Assistant's templates are), <c>value_json</c> the payload.</summary>
    private static async Task<string> RenderAsync(string python, string template, Received payload)
    {
        const string script = "import sys, json, jinja2; print(jinja2.Environment().from_string(sys.argv[1]).render(value_json=json.loads(sys.argv[2])).strip())";
        var (code, stdout, stderr) = await ExternalTools.RunAsync(python, ["-c", script, template, payload.Text], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, "jinja2 (python3-jinja2) failed: " + stderr);
        return stdout.Trim();
    }

    private static JsonElement Json(Received m) => JsonDocument.Parse(m.Payload).RootElement;

    /// <summary>Fresh subscribers (retained messages only) until one sees what <paramref name="done"/> asks, or the deadline.</summary>
    private static async Task<MqttTestSubscriber> WaitUntilAsync(Func<Task<MqttTestSubscriber>> connect, Func<MqttTestSubscriber, bool> done, DateTime deadline)
    {
        while (true)
        {
            var sub = await connect();
            await Task.Delay(700);
            if (done(sub))
            {
                return sub;
            }

            var seen = string.Join(", ", sub.Messages.Select(m => m.Topic).Distinct());
            await sub.DisposeAsync();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("retained discovery configs never became as expected; last seen: " + seen);
            }
        }
    }
}
