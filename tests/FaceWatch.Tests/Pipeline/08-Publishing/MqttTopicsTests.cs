using FaceWatch.Pipeline.Publishing;

namespace FaceWatch.Tests.Pipeline.Publishing;

public class MqttTopicsTests
{
    [Theory]
    [InlineData("porch", "porch")]
    [InlineData("front door", "front_door")]
    [InlineData("a/b", "a_b")]
    [InlineData("cam+1", "cam_1")]
    [InlineData("all#", "all_")]
    [InlineData("tab\there", "tab_here")]
    [InlineData("nul\0x", "nul_x")]
    [InlineData("line\nbreak", "line_break")]
    [InlineData("  padded  ", "padded")]
    [InlineData("Zoë's café", "Zoë's_café")]
    [InlineData("", "_")]
    [InlineData("   ", "_")]
    [InlineData(null, "_")]
    public void SanitizeSegment_replaces_what_would_break_a_topic(string? name, string expected) =>
        Assert.Equal(expected, MqttTopics.SanitizeSegment(name));

    [Theory]
    [InlineData("front door", "front_door")]
    [InlineData("Zoë", "Zoe")]
    [InlineData("Tür", "Tur")]
    [InlineData("café", "cafe")]
    [InlineData("Straße", "Strasse")]
    [InlineData("东门", "__")]
    [InlineData("home/facewatch", "home_facewatch")]
    public void DiscoveryId_keeps_only_what_home_assistant_accepts(string name, string expected) =>
        Assert.Equal(expected, MqttTopics.DiscoveryId(name));

    [Fact]
    public void Node_ids_of_different_prefixes_never_collide()
    {
        Assert.Equal("facewatch", new MqttTopics("facewatch").Node);
        Assert.Equal("face-watch2", new MqttTopics("face-watch2").Node);
        string[] prefixes = ["site/one", "site_one", "site one", "site+one", "Site/one", "site/one/x", "site_one_x", "sité/one", "site/oné"];
        var nodes = prefixes.Select(p => new MqttTopics(p).Node).ToList();
        Assert.Equal(nodes.Count, nodes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(nodes, n => Assert.Matches("^[A-Za-z0-9_-]+$", n));
        Assert.StartsWith("site_one_", new MqttTopics("site/one").Node, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_topic_is_built_from_prefix_and_sanitised_camera()
    {
        var topics = new MqttTopics("facewatch", "homeassistant");
        Assert.Equal("facewatch/status", topics.Status);
        Assert.Equal("facewatch/front_door/status", topics.CameraStatus("front door"));
        Assert.Equal("facewatch/front_door/events", topics.Events("front door"));
        Assert.Equal("facewatch/front_door/people", topics.People("front door"));
        Assert.Equal("facewatch/front_door/snapshot", topics.Snapshot("front door"));
        Assert.Equal("homeassistant/sensor/facewatch/front_door_last_person/config", topics.DiscoveryLastPerson("front door"));
        Assert.Equal("homeassistant/sensor/facewatch/front_door_people/config", topics.DiscoveryPeople("front door"));
        Assert.Equal(
            ["homeassistant/sensor/facewatch/+/config", "homeassistant/binary_sensor/facewatch/+/config", "homeassistant/event/facewatch/+/config"],
            topics.DiscoveryFilters);
        Assert.Equal("facewatch/front_door/unknown", topics.Unknown("front door"));
        Assert.Equal("homeassistant/binary_sensor/facewatch/front_door_stranger/config", topics.DiscoveryStranger("front door"));
        Assert.Equal("homeassistant/event/facewatch/front_door_unknown/config", topics.DiscoveryUnknownEvent("front door"));
        Assert.Equal("facewatch/people/Alice", topics.Person("Alice"));
        Assert.Equal("facewatch/people/Bob_Smith", topics.Person("Bob Smith"));
        Assert.Equal("homeassistant/binary_sensor/facewatch/person_Alice/config", topics.DiscoveryPresence("Alice"));
        Assert.Equal("homeassistant/sensor/facewatch/person_Alice_camera/config", topics.DiscoveryPersonCamera("Alice"));
        Assert.Equal("facewatch_facewatch_person_Alice_presence", topics.PersonUniqueId("Alice", "presence"));
    }

    [Fact]
    public void Person_ids_are_one_to_one_and_never_a_wildcard()
    {
        var topics = new MqttTopics("facewatch");
        Assert.NotEqual(MqttTopics.PersonId("Bob Smith"), MqttTopics.PersonId("Bob_Smith"));
        Assert.NotEqual(MqttTopics.PersonId("Zoë"), MqttTopics.PersonId("Zoe"));
        Assert.Matches("^[A-Za-z0-9_-]+$", MqttTopics.PersonId("Zoë #1 + co"));
        Assert.DoesNotContain('#', topics.Person("a#b"));
        Assert.DoesNotContain('+', topics.Person("a+b"));
    }

    [Fact]
    public void A_camera_name_with_wildcards_never_makes_a_wildcard_topic()
    {
        var topics = new MqttTopics("facewatch");
        var topic = topics.Events("#/+ evil");
        Assert.Equal("facewatch/____evil/events", topic);
        Assert.DoesNotContain('#', topic);
        Assert.DoesNotContain('+', topic);
        Assert.Equal(3, topic.Split('/').Length);
    }

    [Theory]
    [InlineData("facewatch", true)]
    [InlineData("home/facewatch", true)]
    [InlineData("", false)]
    [InlineData("/facewatch", false)]
    [InlineData("facewatch/", false)]
    [InlineData("a//b", false)]
    [InlineData("face+watch", false)]
    [InlineData("face#", false)]
    [InlineData("$SYS", false)]
    [InlineData("$share/x", false)]
    public void Prefix_validation(string prefix, bool valid) => Assert.Equal(valid, MqttTopics.IsValidPrefix(prefix));
}
