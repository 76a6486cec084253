using System.Text;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;

namespace FaceWatch.Tests.Hosting.Mqtt;

/// <summary>
/// Issue 12, defect 1: the start-up cleanup of removed cameras' discovery configs deletes only what this
/// instance published, against a real mosquitto holding other applications' and other instances' retained data.
/// </summary>
[Trait("Category", "Slow")]
public class DiscoveryOwnershipTests(MosquittoFixture mosquitto) : IClassFixture<MosquittoFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_forged_retained_config_does_not_make_it_delete_another_applications_retained_topics()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var prefix = "fw" + run;
        var discovery = "ha" + run;
        var other = "bridge" + run;
        var topics = new MqttTopics(prefix, discovery);

        // Another application's retained state, and a config under our node that points at it.
        await RetainAsync(other + "/bridge/state", "online");
        await RetainAsync(other + "/bridge/people", "[\"kept\"]");
        var forgedTopic = $"{discovery}/sensor/{topics.Node}/evil_last_person/config";
        var forged = $$$"""
            {"name":"Last person","unique_id":"evil","state_topic":"{{{other}}}/bridge/people","value_template":"v",
             "json_attributes_topic":"{{{other}}}/bridge/people","availability":[{"topic":"{{{other}}}/bridge/state"}],
             "icon":"mdi:face","qos":1,"device":{"identifiers":["evil"],"name":"FaceWatch evil","manufacturer":"FaceWatch","model":"FaceWatch camera","sw_version":"0.1.0"},
             "origin":{"name":"FaceWatch","sw_version":"0.1.0"}}
            """;
        await RetainAsync(forgedTopic, forged);

        await using (var host = await PublisherHost.StartAsync(mosquitto.Port, new Dictionary<string, string?>
        {
            ["Mqtt:TopicPrefix"] = prefix,
            ["HomeAssistant:DiscoveryPrefix"] = discovery,
        }, ["porch"]))
        {
            await host.WaitConnectedAsync(Wait);
        }

        var retained = await RetainedAsync([other + "/#", discovery + "/#"]);
        Assert.Equal("online", retained.GetValueOrDefault(other + "/bridge/state"));
        Assert.Equal("[\"kept\"]", retained.GetValueOrDefault(other + "/bridge/people"));
        Assert.Equal(forged, retained.GetValueOrDefault(forgedTopic)); // not ours: left alone
    }

    [Fact]
    public async Task Two_instances_whose_prefixes_differ_only_in_slash_and_underscore_keep_each_others_entities()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var discovery = "ha" + run;
        var slash = $"site{run}/one";
        var underscore = $"site{run}_one";
        var a = new MqttTopics(slash, discovery);

        await using (var first = await PublisherHost.StartAsync(mosquitto.Port, new Dictionary<string, string?>
        {
            ["Mqtt:TopicPrefix"] = slash,
            ["HomeAssistant:DiscoveryPrefix"] = discovery,
        }, ["door"]))
        {
            await first.WaitConnectedAsync(Wait);
            await using var second = await PublisherHost.StartAsync(mosquitto.Port, new Dictionary<string, string?>
            {
                ["Mqtt:TopicPrefix"] = underscore,
                ["HomeAssistant:DiscoveryPrefix"] = discovery,
            }, ["hall"]);
            await second.WaitConnectedAsync(Wait);
            Assert.NotEqual(first.Publisher.Topics.Node, second.Publisher.Topics.Node);
            Assert.DoesNotContain(second.Logs.Lines, l => l.EventId == 6011);
        }

        var retained = await RetainedAsync([discovery + "/#", slash + "/#"]);
        Assert.True(retained.ContainsKey(a.DiscoveryLastPerson("door")), "the first instance's 'door' config was deleted by the second instance");
        Assert.True(retained.ContainsKey(a.DiscoveryPeople("door")), "the first instance's 'door' config was deleted by the second instance");
        Assert.Equal("offline", retained.GetValueOrDefault(a.CameraStatus("door")));
    }

    [Fact]
    public async Task A_second_instance_with_the_same_prefix_but_its_own_client_id_leaves_the_first_ones_configs()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var prefix = "fw" + run;
        var discovery = "ha" + run;
        var t = new MqttTopics(prefix, discovery);
        var settings = new Dictionary<string, string?> { ["Mqtt:TopicPrefix"] = prefix, ["HomeAssistant:DiscoveryPrefix"] = discovery };

        await using (var first = await PublisherHost.StartAsync(mosquitto.Port, new Dictionary<string, string?>(settings) { ["Mqtt:ClientId"] = "fw-a-" + run }, ["door"]))
        {
            await first.WaitConnectedAsync(Wait);
        }

        await using (var second = await PublisherHost.StartAsync(mosquitto.Port, new Dictionary<string, string?>(settings) { ["Mqtt:ClientId"] = "fw-b-" + run }, ["hall"]))
        {
            await second.WaitConnectedAsync(Wait);
        }

        var retained = await RetainedAsync([discovery + "/#"]);
        Assert.True(retained.ContainsKey(t.DiscoveryLastPerson("door")), "another instance's config was deleted");
        Assert.True(retained.ContainsKey(t.DiscoveryLastPerson("hall")));
    }

    private async Task RetainAsync(string topic, string payload)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", mosquitto.Port).WithClientId("forger-" + Guid.NewGuid().ToString("N")[..8]).Build());
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await client.DisconnectAsync();
    }

    /// <summary>What the broker holds retained under the filters now (a fresh subscriber, retained messages only).</summary>
    private async Task<Dictionary<string, string>> RetainedAsync(string[] filters)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        client.ApplicationMessageReceivedAsync += e =>
        {
            lock (found)
            {
                if (e.ApplicationMessage.Retain && e.ApplicationMessage.Payload.Length > 0)
                {
                    found[e.ApplicationMessage.Topic] = Encoding.UTF8.GetString(e.ApplicationMessage.Payload);
                }
            }

            return Task.CompletedTask;
        };
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", mosquitto.Port).WithClientId("reader-" + Guid.NewGuid().ToString("N")[..8]).Build());
        foreach (var filter in filters)
        {
            await client.SubscribeAsync(filter, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await Task.Delay(700);
        await client.DisconnectAsync();
        lock (found)
        {
            return new Dictionary<string, string>(found, StringComparer.Ordinal);
        }
    }
}
