using System.Diagnostics.Metrics;
using System.Threading.Channels;
using FaceWatch.Pipeline.Capture;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>
/// Publishes identity events and state to the broker. Owns the connection: MQTTnet 5 has no managed
/// client, so this loop connects with a Polly backoff, keeps a last will on <c>&lt;prefix&gt;/status</c>,
/// and sends everything through one in-order outbox that survives disconnects (an item leaves it only
/// after the broker acknowledged it).
/// </summary>
public sealed class MqttPublisher : BackgroundService
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    private readonly HomeAssistantOptions _homeAssistant;
    private readonly CameraHealthRegistry _health;
    private readonly IConfiguredCameras? _configured;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ChannelReader<IdentityEvent>? _events;
    private readonly MqttMessageFactory _messages;
    // One entry: messages that go out together, in order (each list is a fresh instance, as the outbox's Remove needs).
    private readonly BoundedOutbox<IReadOnlyList<MqttApplicationMessage>> _outbox;
    private readonly PresenceBook _presence = new();
    private readonly HashSet<string> _announced = new(StringComparer.Ordinal);
    private readonly Lock _announcedGate = new();
    private readonly MqttConnector _connector;
    private readonly Meter? _ownedMeter;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _published;
    private readonly Counter<long> _connects;

    private volatile bool _connected;
    private volatile bool _dropping;
    private bool _staleDiscoveryChecked;

    public MqttPublisher(
        IOptions<MqttOptions> options,
        IOptions<HomeAssistantOptions> homeAssistant,
        IdentityEventHub hub,
        CameraHealthRegistry health,
        ILogger<MqttPublisher> logger,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        IConfiguredCameras? configuredCameras = null,
        EmbeddedBroker? embeddedBroker = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(homeAssistant);
        ArgumentNullException.ThrowIfNull(hub);
        var mqtt = options.Value;
        _homeAssistant = homeAssistant.Value;
        _health = health ?? throw new ArgumentNullException(nameof(health));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = timeProvider ?? TimeProvider.System;
        _configured = configuredCameras;

        var topics = new MqttTopics(mqtt.TopicPrefix, _homeAssistant.DiscoveryPrefix);
        _messages = new MqttMessageFactory(topics, (MqttQualityOfServiceLevel)mqtt.Qos, mqtt.Snapshots, mqtt.EffectiveClientId);
        _outbox = new BoundedOutbox<IReadOnlyList<MqttApplicationMessage>>(mqtt.OutboxCapacity);

        _connector = new MqttConnector(mqtt, topics, _time, _logger, embeddedBroker is null ? null : () => embeddedBroker.OwnCredentials);

#pragma warning disable CA2000 // a factory meter belongs to the factory; our own is _ownedMeter, disposed with the publisher
        var meter = meterFactory?.Create("FaceWatch") ?? (_ownedMeter = new Meter("FaceWatch"));
#pragma warning restore CA2000
        meter.CreateObservableGauge("facewatch.mqtt.outbox.size", () => _outbox.Count, "{message_group}", "Message groups (event + people list, or a state change) waiting for the broker");
        meter.CreateObservableGauge("facewatch.mqtt.connected", () => _connected ? 1 : 0, null, "1 while connected to the MQTT broker");
        _dropped = meter.CreateCounter<long>("facewatch.mqtt.outbox.dropped", "{message_group}", "Oldest outbox entries dropped because the outbox was full");
        _published = meter.CreateCounter<long>("facewatch.mqtt.messages.published", "{message}", "Messages acknowledged by the broker, by topic kind");
        _connects = meter.CreateCounter<long>("facewatch.mqtt.connections", "{connection}", "Successful connections to the broker");

        // Subscribe now, not in ExecuteAsync: the pipeline may publish before this service's loop runs.
        // Disabled: no subscription at all, so nothing queues up and the pipeline never waits for us.
        if (mqtt.Enabled)
        {
            _events = hub.Subscribe();
            _health.StatusChanged += OnCameraStatusChanged;
        }
    }

    /// <summary>True while a broker session is up and <c>online</c>, discovery and camera states are published.</summary>
    public bool IsConnected => _connected;

    /// <summary>Message groups waiting for the broker.</summary>
    public int OutboxCount => _outbox.Count;

    /// <summary>Message groups dropped because the outbox was full.</summary>
    public long OutboxDropped => _outbox.Dropped;

    /// <summary>The broker as logged: scheme, host and port, never credentials.</summary>
    public string Broker => _connector.Broker;

    public MqttTopics Topics => _messages.Topics;

    public override void Dispose()
    {
        _health.StatusChanged -= OnCameraStatusChanged;
        _ownedMeter?.Dispose();
        _connector.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_events is null)
        {
            Log.Disabled(_logger);
            return;
        }

        var pump = PumpAsync(_events, stoppingToken);
        Log.Connecting(_logger, Broker, _connector.ClientId);
        while (!stoppingToken.IsCancellationRequested)
        {
            MqttConnection connection;
            try
            {
#pragma warning disable CA2000 // the session loop below owns the connection and disposes it when it ends
                connection = await _connector.ConnectAsync(stoppingToken).ConfigureAwait(false);
#pragma warning restore CA2000
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping mid-connect: MQTTnet may report the cancelled connect as a communication error, not as a
                // cancellation. Either way it is a stop, not a crash (a crash would turn a failed start into exit 70).
                break;
            }

            using (connection)
            {
                try
                {
                    _connects.Add(1);
                    Log.Connected(_logger, Broker, connection.Attempts, _outbox.Count);
                    await AnnounceAsync(connection.Client, stoppingToken).ConfigureAwait(false);
                    _connected = true; // after the broker acknowledged online, discovery and the camera states
                    await SendAsync(connection.Client, connection.Lost, drainOnly: false, stoppingToken).ConfigureAwait(false);
                    _connected = false;
                    Log.Lost(_logger, Broker, await connection.Lost.ConfigureAwait(false), _outbox.Count);
                }
                catch (Exception) when (stoppingToken.IsCancellationRequested)
                {
                    // any failure of a send cut short by the stop (cancelled, or the client torn down): flush and leave
                    await pump.ConfigureAwait(false);
                    await CloseAsync(connection.Client, connection.Lost).ConfigureAwait(false);
                    _connected = false;
                    return;
                }
                catch (Exception ex)
                {
                    _connected = false;
                    Log.Lost(_logger, Broker, connection.Lost.IsCompleted ? await connection.Lost.ConfigureAwait(false) : ex.Message, _outbox.Count);
                }
            }
        }

        _connected = false;
        await pump.ConfigureAwait(false);
        if (_outbox.Count > 0)
        {
            Log.FlushFailed(_logger, Broker, $"not connected; {_outbox.Count} message group(s) unsent");
        }
    }

    /// <summary>On every connect: online, discovery, every camera's status and people list (the broker may have lost its retained state).</summary>
    private async Task AnnounceAsync(IMqttClient client, CancellationToken ct)
    {
        await PublishAsync(client, _messages.Status(online: true), ct).ConfigureAwait(false);

        var cameras = new SortedSet<string>(StringComparer.Ordinal);
        if (_configured is not null)
        {
            cameras.UnionWith(_configured.Names);
        }

        var health = _health.Snapshot();
        cameras.UnionWith(health.Select(h => h.Camera));
        cameras.UnionWith(_presence.Cameras());
        lock (_announcedGate)
        {
            cameras.UnionWith(_announced);
            _announced.UnionWith(cameras);
        }

        if (_homeAssistant.Discovery)
        {
            if (_configured is not null && !_staleDiscoveryChecked)
            {
                await RemoveStaleDiscoveryAsync(client, cameras, ct).ConfigureAwait(false);
                _staleDiscoveryChecked = true;
            }

            foreach (var camera in cameras)
            {
                foreach (var message in _messages.Discovery(camera))
                {
                    await PublishAsync(client, message, ct).ConfigureAwait(false);
                }
            }
        }

        foreach (var camera in cameras)
        {
            var online = health.FirstOrDefault(h => h.Camera == camera)?.Online ?? false;
            await PublishAsync(client, _messages.CameraStatus(camera, online), ct).ConfigureAwait(false);
            await PublishAsync(client, _messages.People(camera, _presence.Get(camera)), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Empties the retained discovery configs (and state topics) of cameras no longer configured.</summary>
    private async Task RemoveStaleDiscoveryAsync(IMqttClient client, IReadOnlyCollection<string> cameras, CancellationToken ct)
    {
        var scan = await DiscoveryCleanup.FindStaleAsync(client, _messages, cameras, _time, ct).ConfigureAwait(false);
        if (scan.Foreign.Count > 0)
        {
            // one line however many there are: anyone who can publish to the broker decides how many
            Log.DiscoveryNotOurs(_logger, scan.Foreign.Count, string.Join(", ", scan.Foreign.Take(3).Select(LogText.Printable)), _messages.InstanceId);
        }

        foreach (var stale in scan.Stale)
        {
            foreach (var topic in stale.StateTopics.Append(stale.ConfigTopic))
            {
                await PublishAsync(client, _messages.ClearRetained(topic), ct).ConfigureAwait(false);
            }

            Log.DiscoveryRemoved(_logger, stale.ConfigTopic);
        }
    }

    /// <summary>Sends the outbox in order; returns when the connection is lost (or, with <paramref name="drainOnly"/>, when the outbox is empty).</summary>
    private async Task SendAsync(IMqttClient client, Task lost, bool drainOnly, CancellationToken ct)
    {
        while (true)
        {
            if (!_outbox.TryPeek(out var group))
            {
                if (drainOnly)
                {
                    return;
                }

                var first = await Task.WhenAny(_outbox.WhenNotEmpty(), lost).WaitAsync(ct).ConfigureAwait(false);
                if (first == lost)
                {
                    return;
                }

                continue;
            }

            for (var i = 0; i < group.Count; i++) // by index: no enumerator boxed per group
            {
                await PublishAsync(client, group[i], ct).ConfigureAwait(false);
            }

            _outbox.Remove(group);
            if (_dropping && _outbox.Count < _outbox.Capacity / 2)
            {
                _dropping = false;
                Log.OutboxRecovered(_logger, _outbox.Dropped);
            }
        }
    }

    private async Task PublishAsync(IMqttClient client, MqttApplicationMessage message, CancellationToken ct)
    {
        var result = await client.PublishAsync(message, ct).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            Log.PublishRejected(_logger, Broker, message.Topic, result.ReasonString ?? result.ReasonCode.ToString());
        }

        _published.Add(1, new KeyValuePair<string, object?>("kind", TopicKind(message.Topic)));
    }

    /// <summary>Clean stop: send what is queued (briefly), then <c>offline</c> and a normal disconnect (so the will is not sent).</summary>
    private async Task CloseAsync(IMqttClient client, Task lost)
    {
        using var timeout = new CancellationTokenSource(FlushTimeout);
        try
        {
            await SendAsync(client, lost, drainOnly: true, timeout.Token).ConfigureAwait(false);
            await PublishAsync(client, _messages.Status(online: false), timeout.Token).ConfigureAwait(false);
            await client.DisconnectAsync(
                new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(),
                timeout.Token).ConfigureAwait(false);
            Log.Disconnected(_logger, Broker, _outbox.Count);
        }
        catch (Exception ex)
        {
            Log.FlushFailed(_logger, Broker, ex.Message);
        }
    }

    private async Task PumpAsync(ChannelReader<IdentityEvent> events, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            await foreach (var identityEvent in events.ReadAllAsync(ct).ConfigureAwait(false))
            {
                Accept(identityEvent);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping: take what the pipeline queued before it stopped
        }

        while (events.TryRead(out var identityEvent))
        {
            Accept(identityEvent);
        }
    }

    private void Accept(IdentityEvent identityEvent)
    {
        AnnounceIfNew(identityEvent.Camera);
        var people = _presence.Apply(identityEvent);
        Enqueue(_messages.ForEvent(identityEvent, people));
    }

    private void OnCameraStatusChanged(CameraHealth health)
    {
        AnnounceIfNew(health.Camera);
        Enqueue([_messages.CameraStatus(health.Camera, health.Online)]);
    }

    private void AnnounceIfNew(string camera)
    {
        bool added;
        lock (_announcedGate)
        {
            added = _announced.Add(camera);
        }

        if (added && _homeAssistant.Discovery)
        {
            Enqueue(_messages.Discovery(camera));
        }
    }

    private void Enqueue(IReadOnlyList<MqttApplicationMessage> group)
    {
        if (_outbox.Enqueue(group) is null)
        {
            return;
        }

        _dropped.Add(1);
        if (!_dropping)
        {
            _dropping = true;
            Log.OutboxFull(_logger, _outbox.Capacity, _outbox.Dropped);
        }
    }

    /// <summary>The <c>kind</c> tag of a sent message: its topic's last level (both status topics end in <c>status</c>).</summary>
    private static string TopicKind(string topic) =>
        // runs for every message sent: match the last level as a span, no substring
        topic.AsSpan(topic.LastIndexOf('/') + 1) switch
        {
            "status" => "status",
            "events" => "events",
            "people" => "people",
            "snapshot" => "snapshot",
            "config" => "discovery",
            _ => "other",
        };
}
