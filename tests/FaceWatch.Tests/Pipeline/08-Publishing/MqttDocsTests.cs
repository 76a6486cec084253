using System.Text.Json;
using System.Text.RegularExpressions;
using FaceWatch.Pipeline.Publishing;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Tests.Pipeline.Publishing;

/// <summary>docs/mqtt.md is the contract: it must name every topic the code publishes and show payloads the code really writes.</summary>
public partial class MqttDocsTests
{
    private static readonly string Docs = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "mqtt.md"));

    [Fact]
    public void Docs_mention_every_topic_kind()
    {
        foreach (var kind in MqttTopics.Kinds)
        {
            Assert.True(Docs.Contains($"`{kind}`", StringComparison.Ordinal), $"docs/mqtt.md does not mention topic `{kind}`");
        }
    }

    [Fact]
    public void Every_topic_kind_is_what_the_topic_builder_makes()
    {
        var topics = new MqttTopics("<prefix>", "<discovery_prefix>");
        string[] built =
        [
            topics.Status, topics.CameraStatus("<camera>"), topics.Events("<camera>"), topics.People("<camera>"), topics.Snapshot("<camera>"),
            topics.DiscoveryLastPerson("camera").Replace("/camera_", "/<camera>_", StringComparison.Ordinal).Replace($"/{topics.Node}/", "/<node>/", StringComparison.Ordinal),
            topics.DiscoveryPeople("camera").Replace("/camera_", "/<camera>_", StringComparison.Ordinal).Replace($"/{topics.Node}/", "/<node>/", StringComparison.Ordinal),
            topics.Unknown("<camera>"),
            topics.DiscoveryStranger("camera").Replace("/camera_", "/<camera>_", StringComparison.Ordinal).Replace($"/{topics.Node}/", "/<node>/", StringComparison.Ordinal),
            topics.DiscoveryUnknownEvent("camera").Replace("/camera_", "/<camera>_", StringComparison.Ordinal).Replace($"/{topics.Node}/", "/<node>/", StringComparison.Ordinal),
            topics.Person("<person>"),
            topics.DiscoveryPresence("person").Replace("/person_person", "/person_<person>", StringComparison.Ordinal).Replace($"/{topics.Node}/", "/<node>/", StringComparison.Ordinal),
            topics.DiscoveryPersonCamera("person").Replace("/person_person", "/person_<person>", StringComparison.Ordinal).Replace($"/{topics.Node}/", "/<node>/", StringComparison.Ordinal),
        ];
        Assert.Equal(MqttTopics.Kinds, built);
    }

    [Fact]
    public void The_sample_event_has_exactly_the_fields_the_serializer_writes()
    {
        var sample = JsonBlockAfter("### `<prefix>/<camera>/events`");
        var parsed = JsonSerializer.Deserialize(sample, IdentityEventJsonContext.Default.IdentityEvent);
        Assert.NotNull(parsed);
        Assert.Equal("arrived", parsed.Event);
        Assert.Equal("Alice", parsed.Name);
        Assert.Equal(118, parsed.Box.W);

        var written = JsonDocument.Parse(JsonSerializer.Serialize(parsed, IdentityEventJsonContext.Default.IdentityEvent)).RootElement;
        var documented = JsonDocument.Parse(sample).RootElement;
        Assert.Equal(Names(written), Names(documented));
        Assert.Equal(Names(written.GetProperty("box")), Names(documented.GetProperty("box")));
        foreach (var field in Names(written))
        {
            Assert.True(Docs.Contains($"`{field}`", StringComparison.Ordinal), $"event field `{field}` has no description in docs/mqtt.md");
        }
    }

    [Fact]
    public void The_sample_people_list_has_the_fields_the_serializer_writes()
    {
        var sample = JsonBlockAfter("### `<prefix>/<camera>/people`");
        var parsed = JsonSerializer.Deserialize(sample, MqttJsonContext.Default.PersonInViewArray);
        Assert.NotNull(parsed);
        Assert.Equal(2, parsed.Length);
        var written = JsonDocument.Parse(JsonSerializer.Serialize(parsed, MqttJsonContext.Default.PersonInViewArray)).RootElement;
        Assert.Equal(Names(written[0]), Names(JsonDocument.Parse(sample).RootElement[0]));
    }

    [Fact]
    public void The_sample_discovery_configs_have_the_keys_the_code_writes()
    {
        var factory = new MqttMessageFactory(new MqttTopics("facewatch"), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, snapshots: false);
        var samples = JsonBlocksAfter("### Home Assistant discovery").Take(2).Select(s => JsonDocument.Parse(s).RootElement).ToArray();
        var configs = new[] { factory.LastPersonConfig("front door"), factory.PeopleConfig("front door") };
        for (var i = 0; i < 2; i++)
        {
            var written = JsonDocument.Parse(JsonSerializer.Serialize(configs[i], MqttJsonContext.Default.HaSensorConfig)).RootElement;
            Assert.Equal(Names(written), Names(samples[i]));
            Assert.Equal(written.GetProperty("unique_id").GetString(), samples[i].GetProperty("unique_id").GetString());
            Assert.Equal(written.GetProperty("state_topic").GetString(), samples[i].GetProperty("state_topic").GetString());
            Assert.Equal(written.GetProperty("value_template").GetString(), samples[i].GetProperty("value_template").GetString());
        }
    }

    [Fact]
    public void The_sample_person_state_and_unknown_sighting_have_the_fields_the_serializer_writes()
    {
        var person = JsonSerializer.Deserialize(JsonBlockAfter("### `<prefix>/people/<person>`"), MqttJsonContext.Default.PersonState);
        Assert.NotNull(person);
        Assert.Equal(PresenceStates.Present, person.State);
        var written = JsonDocument.Parse(JsonSerializer.Serialize(person, MqttJsonContext.Default.PersonState)).RootElement;
        Assert.Equal(["camera", "confidence", "lastSeen", "name", "since", "state"], Names(written));
        Assert.Equal(Names(written), Names(JsonDocument.Parse(JsonBlockAfter("### `<prefix>/people/<person>`")).RootElement));

        var sample = JsonBlockAfter("### `<prefix>/<camera>/unknown`");
        var sighting = JsonSerializer.Deserialize(sample, MqttJsonContext.Default.UnknownSighting);
        Assert.Equal("unknown", sighting!.EventType);
        var sightingWritten = JsonDocument.Parse(JsonSerializer.Serialize(sighting, MqttJsonContext.Default.UnknownSighting)).RootElement;
        Assert.Equal(Names(sightingWritten), Names(JsonDocument.Parse(sample).RootElement));
    }

    /// <summary>The keys Home Assistant's MQTT schema needs of each component FaceWatch announces.</summary>
    [Theory]
    [InlineData("stranger", "name,unique_id,state_topic,availability,device,value_template,payload_on,payload_off,device_class")]
    [InlineData("unknown", "name,unique_id,state_topic,availability,device,event_types")]
    [InlineData("presence", "name,unique_id,state_topic,availability,device,value_template,payload_on,payload_off,device_class,json_attributes_topic")]
    [InlineData("camera", "name,unique_id,state_topic,availability,device,value_template,json_attributes_topic")]
    public void The_new_discovery_configs_carry_home_assistants_keys_and_match_the_docs(string entity, string keys)
    {
        var factory = new MqttMessageFactory(new MqttTopics("facewatch"), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, snapshots: false);
        var (json, sampleIndex) = entity switch
        {
            "stranger" => (JsonSerializer.Serialize(factory.StrangerConfig("front door"), MqttJsonContext.Default.HaBinarySensorConfig), 2),
            "unknown" => (JsonSerializer.Serialize(factory.UnknownEventConfig("front door"), MqttJsonContext.Default.HaEventConfig), 3),
            "presence" => (JsonSerializer.Serialize(factory.PresenceConfig("Alice"), MqttJsonContext.Default.HaBinarySensorConfig), 4),
            _ => (JsonSerializer.Serialize(factory.PersonCameraConfig("Alice"), MqttJsonContext.Default.HaSensorConfig), 5),
        };
        var written = JsonDocument.Parse(json).RootElement;
        foreach (var key in keys.Split(','))
        {
            Assert.True(written.TryGetProperty(key, out _), $"{entity} config lacks '{key}'");
        }

        Assert.Equal(["identifiers", "manufacturer", "model", "name", "serial_number", "sw_version"], Names(written.GetProperty("device")));
        Assert.All(written.GetProperty("availability").EnumerateArray(), a => Assert.StartsWith("facewatch/", a.GetProperty("topic").GetString(), StringComparison.Ordinal));
        var sample = JsonDocument.Parse(JsonBlocksAfter("### Home Assistant discovery").ElementAt(sampleIndex)).RootElement;
        Assert.Equal(Names(written), Names(sample));
        foreach (var key in new[] { "unique_id", "state_topic", "value_template", "payload_on", "payload_off", "device_class" })
        {
            Assert.Equal(written.TryGetProperty(key, out var w) ? w.GetString() : null, sample.TryGetProperty(key, out var d) ? d.GetString() : null);
        }

        foreach (var key in Names(written))
        {
            Assert.True(Docs.Contains($"`{key}`", StringComparison.Ordinal), $"discovery key `{key}` is not described in docs/mqtt.md");
        }
    }

    private static string[] Names(JsonElement e) => [.. e.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    private static string JsonBlockAfter(string heading) => JsonBlocksAfter(heading).First();

    private static IEnumerable<string> JsonBlocksAfter(string heading)
    {
        var start = Docs.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/mqtt.md has no heading {heading}");
        return JsonBlock().Matches(Docs[start..]).Select(m => m.Groups[1].Value);
    }

    [GeneratedRegex("```json\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
