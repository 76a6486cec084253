using System.Globalization;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Tests.Hosting.Mqtt;

/// <summary>
/// Issue 12, defect 3: the embedded broker with the real publisher in it, attacked by other (anonymous) clients:
/// oversized and retained floods, fake events and status, FaceWatch's own client id, a forged will, no credentials.
/// </summary>
[Trait("Category", "Slow")]
public class EmbeddedBrokerSecurityTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_oversized_message_is_refused_and_not_retained()
    {
        var (host, port) = await StartAsync();
        await using (host)
        {
            using var other = await ClientAsync(port);
            var big = new byte[1024 * 1024];
            await other.PublishAsync(Message("junk/big", big, retain: true));
            await other.PublishAsync(Message("junk/small", [1, 2, 3], retain: true));

            var retained = await RetainedAsync(port, "junk/#");
            Assert.Equal(["junk/small"], retained.Keys);
            await MqttPublisherTests.WaitForLogAsync(host, l => l.EventId == 6021 && l.Message.Contains("1048576 byte message on 'junk/big'", StringComparison.Ordinal));
            Assert.True(host.Publisher.IsConnected);
        }
    }

    [Fact]
    public async Task Other_clients_cannot_publish_under_the_prefix_or_the_discovery_node_but_can_read_it()
    {
        var (host, port) = await StartAsync();
        await using (host)
        {
            await using var watcher = await MqttTestSubscriber.ConnectAsync(port, "#");
            await watcher.WaitForAsync("facewatch/status", m => m.Text == "online", Wait);
            using var other = await ClientAsync(port);
            var fake = await other.PublishAsync(Message("facewatch/door/events", "{\"event\":\"arrived\",\"name\":\"Alice\"}"u8.ToArray(), retain: false, MqttQualityOfServiceLevel.AtLeastOnce));
            await other.PublishAsync(Message("facewatch/status", "offline"u8.ToArray(), retain: true));
            await other.PublishAsync(Message("facewatch/door/people", "[\"Mallory\"]"u8.ToArray(), retain: true));
            await other.PublishAsync(Message("homeassistant/sensor/facewatch/door_last_person/config", "{\"Mallory\":1}"u8.ToArray(), retain: true));
            await other.PublishAsync(Message("homeassistant/status", "online"u8.ToArray(), retain: false)); // Home Assistant's birth message stays allowed
            await other.PublishAsync(Message("elsewhere/x", "fine"u8.ToArray(), retain: false));
            await watcher.WaitForTopicAsync("elsewhere/x", Wait);

            Assert.False(fake.IsSuccess);
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, fake.ReasonCode);
            Assert.Empty(watcher.On("facewatch/door/events"));
            Assert.DoesNotContain(watcher.Messages, m => m.Text.Contains("Mallory", StringComparison.Ordinal));
            Assert.Single(watcher.On("homeassistant/status"));
            Assert.All(watcher.On("facewatch/status"), m => Assert.Equal("online", m.Text));
            var retained = await RetainedAsync(port, "facewatch/#");
            Assert.Equal("online", retained["facewatch/status"]);

            // the publisher itself still publishes there
            await host.Hub.PublishAsync(TestEvents.Make(IdentityEventKind.Arrived, "door", 1, "Bob"), CancellationToken.None);
            var real = await watcher.WaitForTopicAsync("facewatch/door/events", Wait);
            Assert.Contains("\"Bob\"", real.Text, StringComparison.Ordinal);
            await MqttPublisherTests.WaitForLogAsync(host, l => l.EventId == 6021 && l.Message.Contains("only FaceWatch may publish", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Another_client_with_facewatchs_client_id_is_refused_and_facewatch_stays_connected()
    {
        var (host, port) = await StartAsync();
        await using (host)
        {
            var ownId = host.Services.GetRequiredServiceOf<IOptions<MqttOptions>>().Value.EffectiveClientId;
            using var impostor = new MqttClientFactory().CreateMqttClient();
            var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId(ownId).WithTimeout(TimeSpan.FromSeconds(5)).Build();
            Assert.Equal("ClientIdentifierNotValid", await RefusalAsync(impostor, options));

            // a forged will under our prefix is refused too
            using var willer = new MqttClientFactory().CreateMqttClient();
            var will = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("willer")
                .WithWillTopic("facewatch/status").WithWillPayload("offline"u8.ToArray()).WithWillRetain(true).WithTimeout(TimeSpan.FromSeconds(5)).Build();
            Assert.Equal("NotAuthorized", await RefusalAsync(willer, will));

            await Task.Delay(500);
            Assert.True(host.Publisher.IsConnected);
            Assert.DoesNotContain(host.Logs.Lines, l => l.EventId == 6006); // never lost its session
            Assert.Contains(host.Logs.Lines, l => l.EventId == 6020 && l.Message.Contains("FaceWatch's own", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Retained_messages_of_other_clients_are_limited_and_facewatchs_own_still_go_through()
    {
        var (host, port) = await StartAsync(new() { ["Mqtt:Embedded:MaxRetainedMessages"] = "5", ["Mqtt:Embedded:MaxRetainedBytes"] = "100000" });
        await using (host)
        {
            using var other = await ClientAsync(port);
            for (var i = 0; i < 10; i++)
            {
                await other.PublishAsync(Message($"junk/{i}", new byte[100], retain: true));
            }

            await other.PublishAsync(Message("junk/0", [], retain: true)); // deleting one frees a place
            await other.PublishAsync(Message("junk/big", new byte[99_700], retain: true)); // over the byte limit with the 4 others (400 bytes)
            await other.PublishAsync(Message("junk/last", new byte[100], retain: true));

            var retained = await RetainedAsync(port, "junk/#");
            Assert.Equal(["junk/1", "junk/2", "junk/3", "junk/4", "junk/last"], retained.Keys.Order(StringComparer.Ordinal));

            host.Health.Report(new FaceWatch.Core.Health.CameraHealth("door", true, 1, 0, 0, 5, null, DateTimeOffset.UtcNow));
            await using var watcher = await MqttTestSubscriber.ConnectAsync(port, "facewatch/#");
            await watcher.WaitForAsync("facewatch/door/status", m => m.Text == "online", Wait);
            var lines = host.Logs.Lines.Where(l => l.EventId == 6021).ToList();
            Assert.Single(lines); // 6 refusals, one line (rate-limited)
            Assert.Contains("retained store of other clients is full", lines[0].Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task With_a_user_name_set_other_clients_must_log_in_and_refusals_are_logged_rate_limited()
    {
        var (host, port) = await StartAsync(new() { ["Mqtt:Embedded:Username"] = "viewer", ["Mqtt:Embedded:Password"] = "s3cret-pw" });
        await using (host)
        {
            for (var i = 0; i < 50; i++)
            {
                using var anonymous = new MqttClientFactory().CreateMqttClient();
                Assert.Equal("BadUserNameOrPassword", await RefusalAsync(anonymous,
                    new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("anon" + i).WithTimeout(TimeSpan.FromSeconds(5)).Build()));
            }

            using var wrong = new MqttClientFactory().CreateMqttClient();
            Assert.Equal("BadUserNameOrPassword", await RefusalAsync(wrong,
                new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithCredentials("viewer", "nope").WithTimeout(TimeSpan.FromSeconds(5)).Build()));

            await using var viewer = await MqttTestSubscriber.ConnectAsync(port, "facewatch/#", configure: b => b.WithCredentials("viewer", "s3cret-pw"));
            Assert.Equal("online", (await viewer.WaitForTopicAsync("facewatch/status", Wait)).Text);
            Assert.True(host.Publisher.IsConnected);
            var refusals = host.Logs.Lines.Where(l => l.EventId == 6020).ToList();
            Assert.InRange(refusals.Count, 1, 2);
            Assert.DoesNotContain(host.Logs.Lines, l => l.Message.Contains("s3cret-pw", StringComparison.Ordinal) || l.Message.Contains("nope", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("0.0.0.0", null, null, "Mqtt:Embedded:Username and Mqtt:Embedded:Password are required")]
    [InlineData("::", "viewer", null, "Mqtt:Embedded:Username is set but Mqtt:Embedded:Password is empty")]
    [InlineData("127.1", null, null, "Mqtt:Embedded:BindAddress '127.1' is not an IP address")]
    [InlineData("[::1]", null, null, "Mqtt:Embedded:BindAddress '[::1]' is not an IP address")]
    [InlineData("localhost", null, null, "Mqtt:Embedded:BindAddress 'localhost' is not an IP address")]
    [InlineData("0.0.0.0", "viewer", "pw", null)]
    [InlineData("::1", null, null, null)]
    public void A_non_loopback_bind_needs_credentials(string bind, string? user, string? password, string? error)
    {
        var options = new MqttOptions { Embedded = new EmbeddedBrokerOptions { Enabled = true, BindAddress = bind, Username = user, Password = password } };
        var result = new MqttOptionsValidator().Validate(null, options);
        if (error is null)
        {
            Assert.True(result.Succeeded, result.FailureMessage);
        }
        else
        {
            Assert.Contains(error, result.FailureMessage, StringComparison.Ordinal);
        }
    }

    private static async Task<(PublisherHost Host, int Port)> StartAsync(Dictionary<string, string?>? extra = null)
    {
        var port = MosquittoBroker.FreePort();
        var settings = new Dictionary<string, string?>
        {
            ["Mqtt:Embedded:Enabled"] = "true",
            ["Mqtt:Embedded:Port"] = port.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        var host = await PublisherHost.StartAsync(1, settings, ["door"]);
        await host.WaitConnectedAsync(Wait);
        return (host, port);
    }

    /// <summary>The broker's refusal code of a connect (MQTTnet returns some as a result, throws others).</summary>
    private static async Task<string> RefusalAsync(IMqttClient client, MqttClientOptions options)
    {
        try
        {
            var result = await client.ConnectAsync(options);
            return result.ResultCode.ToString();
        }
        catch (Exception ex)
        {
            var text = ex.Message + " " + ex.InnerException?.Message;
            return new[] { "ClientIdentifierNotValid", "NotAuthorized", "BadUserNameOrPassword" }.FirstOrDefault(c => text.Contains(c, StringComparison.Ordinal)) ?? text;
        }
    }

    private static async Task<IMqttClient> ClientAsync(int port)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("other-" + Guid.NewGuid().ToString("N")[..8])
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(5)).Build());
        return client;
    }

    private static MqttApplicationMessage Message(string topic, byte[] payload, bool retain, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(retain).WithQualityOfServiceLevel(qos).Build();

    private static async Task<Dictionary<string, string>> RetainedAsync(int port, string filter)
    {
        await using var reader = await MqttTestSubscriber.ConnectAsync(port, filter);
        await Task.Delay(700);
        return reader.Messages.Where(m => m.Retain).GroupBy(m => m.Topic).ToDictionary(g => g.Key, g => g.Last().Text, StringComparer.Ordinal);
    }
}

internal static class ServiceProviderTestExtensions
{
    public static T GetRequiredServiceOf<T>(this IServiceProvider services)
        where T : notnull => (T)(services.GetService(typeof(T)) ?? throw new InvalidOperationException(typeof(T).Name + " is not registered"));
}
