using FaceWatch.Pipeline.Publishing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Polly;

using FaceWatch.Hosting.Mqtt;
using FaceWatch.Tests.Infrastructure;
using FaceWatch.Hosting;
using Microsoft.Extensions.Configuration;

namespace FaceWatch.Tests.Pipeline.Publishing;

public class MqttOptionsTests
{
    [Fact]
    public void Defaults_match_the_documented_contract()
    {
        var o = new MqttOptions();
        Assert.Equal("localhost", o.Host);
        Assert.Equal(1883, o.Port);
        Assert.Equal("facewatch", o.TopicPrefix);
        Assert.Equal(1, o.Qos);
        Assert.False(o.CleanSession);
        Assert.Equal(10_000, o.OutboxCapacity);
        Assert.False(o.Snapshots);
        Assert.Equal(300, o.PersonAwaySeconds);
        Assert.False(o.Tls.Enabled);
        Assert.False(o.Tls.AllowUntrusted);
        Assert.False(o.Embedded.Enabled);
        Assert.Equal(1883, o.Embedded.Port);
        Assert.Equal("127.0.0.1", o.Embedded.BindAddress);
        Assert.StartsWith("facewatch-", o.EffectiveClientId, StringComparison.Ordinal);
        var ha = new HomeAssistantOptions();
        Assert.True(ha.Discovery);
        Assert.Equal("homeassistant", ha.DiscoveryPrefix);
    }

    [Theory]
    [InlineData("Mqtt:Port", "0", "Mqtt:Port must be between 1 and 65535 (got 0)")]
    [InlineData("Mqtt:Qos", "3", "Mqtt:Qos must be 0, 1 or 2 (got 3)")]
    [InlineData("Mqtt:OutboxCapacity", "0", "Mqtt:OutboxCapacity must be between 1 and 1000000 (got 0)")]
    [InlineData("Mqtt:PersonAwaySeconds", "0", "Mqtt:PersonAwaySeconds must be between 1 and 86400 (got 0)")]
    [InlineData("Mqtt:TopicPrefix", "face/#", "Mqtt:TopicPrefix 'face/#' is not a valid topic prefix")]
    [InlineData("Mqtt:Tls:CaFile", "/nonexistent/ca.pem", "Mqtt:Tls:CaFile: file '/nonexistent/ca.pem' does not exist.")]
    [InlineData("Mqtt:Embedded:BindAddress", "localhost", "Mqtt:Embedded:BindAddress 'localhost' is not an IP address")]
    [InlineData("HomeAssistant:DiscoveryPrefix", "ha/+", "HomeAssistant:DiscoveryPrefix 'ha/+' is not a valid topic prefix")]
    public async Task A_wrong_setting_fails_at_start_naming_the_key(string key, string value, string message)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key == "Mqtt:Tls:CaFile")
        {
            settings["Mqtt:Tls:Enabled"] = "true";
        }

        using var host = PublisherHost.Build(1, settings, null, out _);
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_key_fails_at_start()
    {
        using var host = PublisherHost.Build(1, new Dictionary<string, string?> { ["Mqtt:Hots"] = "broker" }, null, out _);
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal("Mqtt:Hots: unknown setting", Assert.Single(ex.Failures));
    }

    [Theory]
    [InlineData("Mqtt:Embedded", "true", true)]
    [InlineData("Mqtt:Embedded", "false", false)]
    [InlineData("Mqtt:Embedded:Enabled", "true", true)]
    public void Embedded_can_be_a_plain_bool_or_a_section(string key, string value, bool enabled)
    {
        using var host = PublisherHost.Build(1, new Dictionary<string, string?> { [key] = value }, null, out _);
        var options = host.Services.GetRequiredService<IOptions<MqttOptions>>().Value;
        Assert.Equal(enabled, options.Embedded.Enabled);
        Assert.Equal(1883, options.Embedded.Port);
        Assert.Equal(enabled ? ("127.0.0.1", 1883) : ("127.0.0.1", 1), options.EffectiveBroker);
    }

    [Fact]
    public async Task Reconnects_back_off_exponentially_with_jitter_forever_up_to_the_cap()
    {
        var options = MqttConnector.ConnectRetryOptions(new MqttOptions { ReconnectMinDelaySeconds = 1, ReconnectMaxDelaySeconds = 30 });
        Assert.Equal(int.MaxValue, options.MaxRetryAttempts);
        Assert.Equal(Polly.DelayBackoffType.Exponential, options.BackoffType);
        Assert.True(options.UseJitter);

        // drive the real strategy on a fake clock: 40 failed connects, record each wait
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var delays = new List<TimeSpan>();
        options.OnRetry = args =>
        {
            delays.Add(args.RetryDelay);
            return default;
        };
        var pipeline = new Polly.ResiliencePipelineBuilder { TimeProvider = time }.AddRetry(options).Build();
        var attempts = 0;
        var run = pipeline.ExecuteAsync(
            _ =>
            {
                attempts++;
                return attempts <= 40 ? throw new System.Net.Sockets.SocketException(111) : ValueTask.CompletedTask;
            },
            CancellationToken.None).AsTask();
        while (!run.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        await run;
        Assert.Equal(41, attempts);
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(30)));
        Assert.True(delays.Take(3).Average(d => d.TotalSeconds) < delays.Skip(20).Average(d => d.TotalSeconds), "delays grow: " + string.Join(", ", delays));
    }

    [Fact]
    public void Configured_cameras_can_come_from_the_daemons_options()
    {
        // The daemon's camera list (DaemonCameras, registered by AddFaceWatchPipeline) is what MQTT announces.
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cameras:0:Name"] = "porch", ["Cameras:0:Source"] = "rtsp://127.0.0.1/porch",
            ["Cameras:1:Name"] = "garage", ["Cameras:1:Source"] = "rtsp://127.0.0.1/garage",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddFaceWatchMqtt(configuration).AddFaceWatchPipeline(configuration);
        using var provider = services.BuildServiceProvider();
        Assert.Equal(["porch", "garage"], provider.GetRequiredService<IConfiguredCameras>().Names);
    }

    [Fact]
    public void The_registration_adds_broker_before_publisher()
    {
        using var host = PublisherHost.Build(1, null, null, out _);
        var services = host.Services.GetServices<IHostedService>().ToArray();
        var broker = Array.FindIndex(services, s => s is EmbeddedBroker);
        var publisher = Array.FindIndex(services, s => s is MqttSession);
        Assert.True(broker >= 0 && publisher > broker, "EmbeddedBroker must start before MqttSession");
    }
}
