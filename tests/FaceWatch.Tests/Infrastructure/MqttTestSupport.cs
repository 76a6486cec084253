using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

using FaceWatch.Core.Health;
using FaceWatch.Hosting.Mqtt;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Identification;

namespace FaceWatch.Tests.Infrastructure;

/// <summary>A message as a subscriber saw it.</summary>
public sealed record Received(string Topic, byte[] Payload, bool Retain, MqttQualityOfServiceLevel Qos, DateTime At)
{
    public string Text => Encoding.UTF8.GetString(Payload);
}

/// <summary>A real MQTTnet subscriber that records everything it receives; can reconnect with its persistent session.</summary>
public sealed class MqttTestSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly MqttClientOptions _options;
    private readonly string _filter;
    private readonly ConcurrentQueue<Received> _messages = new();

    private MqttTestSubscriber(MqttClientOptions options, string filter)
    {
        _options = options;
        _filter = filter;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var m = e.ApplicationMessage;
            _messages.Enqueue(new Received(m.Topic, m.Payload.ToArray(), m.Retain, m.QualityOfServiceLevel, DateTime.UtcNow));
            return Task.CompletedTask;
        };
    }

    public IReadOnlyList<Received> Messages => [.. _messages];

    public bool IsConnected => _client.IsConnected;

    public static async Task<MqttTestSubscriber> ConnectAsync(
        int port, string filter = "#", string? clientId = null, bool cleanSession = true, Action<MqttClientOptionsBuilder>? configure = null)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId ?? "test-sub-" + Guid.NewGuid().ToString("N")[..8])
            .WithCleanSession(cleanSession)
            // MQTT 5: a session without an expiry ends with its connection, so a kept session needs one to outlive a
            // broker restart (else events published before this subscriber is back are lost to it, not to FaceWatch).
            .WithSessionExpiryInterval(cleanSession ? 0u : 3600u)
            .WithTimeout(TimeSpan.FromSeconds(5));
        configure?.Invoke(builder);
        var subscriber = new MqttTestSubscriber(builder.Build(), filter);
        await subscriber.ReconnectAsync(TimeSpan.FromSeconds(5));
        return subscriber;
    }

    /// <summary>Connects (again) and subscribes, retrying until the broker answers.</summary>
    public async Task ReconnectAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await _client.ConnectAsync(_options);
                await _client.SubscribeAsync(_filter, MqttQualityOfServiceLevel.AtLeastOnce);
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public IReadOnlyList<Received> On(string topic) => [.. _messages.Where(m => m.Topic == topic)];

    /// <summary>Waits until <paramref name="done"/> holds for the received messages.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<Received>, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(Messages))
        {
            if (DateTime.UtcNow > deadline)
            {
                var seen = string.Join("\n", Messages.TakeLast(20).Select(m => $"{m.Topic} retain={m.Retain} {Truncate(m.Text)}"));
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0} s waiting for {what}. {Messages.Count} message(s); last ones:\n{seen}");
            }

            await Task.Delay(20);
        }
    }

    public Task<Received> WaitForTopicAsync(string topic, TimeSpan timeout) => WaitForAsync(topic, _ => true, timeout);

    public async Task<Received> WaitForAsync(string topic, Func<Received, bool> match, TimeSpan timeout)
    {
        await WaitForAsync(ms => ms.Any(m => m.Topic == topic && match(m)), timeout, "a message on " + topic);
        return Messages.Last(m => m.Topic == topic && match(m));
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
    }

    private static string Truncate(string s) => s.Length > 120 ? s[..120] + "..." : s;
}

/// <summary>Collects log lines so tests can check what a user would read.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, int EventId, string Message)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
    }
}

/// <summary>The MQTT part of the daemon in-process: the real registration extension, a real hub and health registry.</summary>
public sealed class PublisherHost : IAsyncDisposable
{
    private readonly IHost _host;

    private PublisherHost(IHost host, CapturingLoggerProvider logs)
    {
        _host = host;
        Logs = logs;
    }

    public CapturingLoggerProvider Logs { get; }

    public IdentityEventHub Hub => _host.Services.GetRequiredService<IdentityEventHub>();

    public CameraHealthRegistry Health => _host.Services.GetRequiredService<CameraHealthRegistry>();

    internal MqttSession Publisher => _host.Services.GetRequiredService<MqttSession>();

    public IServiceProvider Services => _host.Services;

    /// <summary>Builds and starts a host with <c>Mqtt:Port</c> = <paramref name="port"/>, fast reconnects, and the given extra settings.</summary>
    public static async Task<PublisherHost> StartAsync(
        int port, IDictionary<string, string?>? settings = null, IReadOnlyCollection<string>? configuredCameras = null, IEnrolledPeople? enrolled = null)
    {
        var host = Build(port, settings, configuredCameras, out var logs, enrolled);
        await host.StartAsync();
        return new PublisherHost(host, logs);
    }

    public static IHost Build(
        int port, IDictionary<string, string?>? settings, IReadOnlyCollection<string>? configuredCameras, out CapturingLoggerProvider logs, IEnrolledPeople? enrolled = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Mqtt:Host"] = "127.0.0.1",
            ["Mqtt:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mqtt:ClientId"] = "facewatch-test-" + Guid.NewGuid().ToString("N")[..8],
            ["Mqtt:ReconnectMinDelaySeconds"] = "0.2",
            ["Mqtt:ReconnectMaxDelaySeconds"] = "1",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            values[k] = v;
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(values);
        logs = new CapturingLoggerProvider();
        builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        if (configuredCameras is not null)
        {
            builder.Services.AddSingleton<IConfiguredCameras>(new ConfiguredCameras(configuredCameras));
        }

        if (enrolled is not null)
        {
            builder.Services.AddSingleton(enrolled);
        }

        builder.Services.AddFaceWatchMqtt(builder.Configuration);
        return builder.Build();
    }

    public async Task WaitConnectedAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Publisher.IsConnected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Publisher did not connect. Logs:\n" + string.Join("\n", Logs.Lines.Select(l => l.Message)));
            }

            await Task.Delay(20);
        }
    }

    public async Task StopAsync() => await _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>The enrolled people as a gallery reload would change them (a fake for the publisher's tests).</summary>
public sealed class TestEnrolledPeople(params string[] names) : IEnrolledPeople
{
    private IReadOnlyList<string>? _names = names;

    public IReadOnlyList<string>? Names => Volatile.Read(ref _names);

    public event Action? Changed;

    /// <summary>A hot reload: the new names, then <see cref="Changed"/>.</summary>
    public void Set(params string[] names)
    {
        Volatile.Write(ref _names, names);
        Changed?.Invoke();
    }
}

/// <summary>Hand-made identity events, as the pipeline would produce them.</summary>
public static class TestEvents
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 4, 0, 0, TimeSpan.Zero);

    public static IdentityEvent Make(string kind, string camera, long trackId, string name, int seq = 0, byte[]? jpeg = null) => new()
    {
        EventId = $"{camera}-{trackId}-{kind}-{seq}-{Guid.NewGuid():N}",
        Event = kind,
        Camera = camera,
        TrackId = trackId,
        Name = name,
        Known = name != "unknown",
        Confidence = 0.91,
        Box = new EventBox(100, 80, 120, 150),
        FrameWidth = 1280,
        FrameHeight = 720,
        Timestamp = T0.AddMilliseconds(seq),
        FirstSeen = T0,
        LastSeen = T0.AddMilliseconds(seq),
        LatencyMs = 42.5,
        DurationSeconds = kind == IdentityEventKind.Left ? 12.5 : null,
        Observations = kind == IdentityEventKind.Left ? 37 : null,
        FaceJpeg = jpeg,
    };
}
