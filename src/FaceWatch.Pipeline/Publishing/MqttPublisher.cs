using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using FaceWatch.Pipeline.Capture;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using Polly;
using Polly.Retry;

namespace FaceWatch.Pipeline.Publishing;

/// <summary>
/// Publishes identity events and state to the broker. Owns the connection: MQTTnet 5 has no managed
/// client, so this loop connects with a Polly backoff, keeps a last will on <c>&lt;prefix&gt;/status</c>,
/// and sends everything through one in-order outbox that survives disconnects (an item leaves it only
/// after the broker acknowledged it).
/// </summary>
public sealed class MqttPublisher : BackgroundService
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetainedQuiet = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan RetainedMax = TimeSpan.FromSeconds(3);

    private readonly MqttOptions _options;
    private readonly HomeAssistantOptions _homeAssistant;
    private readonly CameraHealthRegistry _health;
    private readonly IConfiguredCameras? _configured;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ChannelReader<IdentityEvent> _events;
    private readonly MqttMessageFactory _messages;
    private readonly BoundedOutbox<Pending> _outbox;
    private readonly PresenceBook _presence = new();
    private readonly HashSet<string> _announced = new(StringComparer.Ordinal);
    private readonly Lock _announcedGate = new();
    private readonly MqttClientOptions _clientOptions;
    private readonly ResiliencePipeline _connectRetry;
    private readonly string _broker;
    private readonly Meter? _ownedMeter;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _published;
    private readonly Counter<long> _connects;

    private volatile bool _connected;
    private volatile bool _dropping;
    private string? _lastFailure;
    private int _attempt;
    private bool _staleDiscoveryChecked;

    public MqttPublisher(
        IOptions<MqttOptions> options,
        IOptions<HomeAssistantOptions> homeAssistant,
        IdentityEventHub hub,
        CameraHealthRegistry health,
        ILogger<MqttPublisher> logger,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        IConfiguredCameras? configuredCameras = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(homeAssistant);
        ArgumentNullException.ThrowIfNull(hub);
        _options = options.Value;
        _homeAssistant = homeAssistant.Value;
        _health = health ?? throw new ArgumentNullException(nameof(health));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = timeProvider ?? TimeProvider.System;
        _configured = configuredCameras;

        var topics = new MqttTopics(_options.TopicPrefix, _homeAssistant.DiscoveryPrefix);
        _messages = new MqttMessageFactory(topics, (MqttQualityOfServiceLevel)_options.Qos, _options.Snapshots);
        _outbox = new BoundedOutbox<Pending>(_options.OutboxCapacity);

        var (host, port) = _options.EffectiveBroker;
        var tls = _options.Tls.Enabled && !_options.Embedded.Enabled;
        _broker = $"{(tls ? "mqtts" : "mqtt")}://{host}:{port}";
        _clientOptions = BuildClientOptions(host, port, tls);
        _connectRetry = BuildConnectRetry();

        var meter = meterFactory?.Create("FaceWatch") ?? (_ownedMeter = new Meter("FaceWatch"));
        meter.CreateObservableGauge("facewatch.mqtt.outbox.size", () => _outbox.Count, "{message_group}", "Message groups (event + people list, or a state change) waiting for the broker");
        meter.CreateObservableGauge("facewatch.mqtt.connected", () => _connected ? 1 : 0, null, "1 while connected to the MQTT broker");
        _dropped = meter.CreateCounter<long>("facewatch.mqtt.outbox.dropped", "{message_group}", "Oldest outbox entries dropped because the outbox was full");
        _published = meter.CreateCounter<long>("facewatch.mqtt.messages.published", "{message}", "Messages acknowledged by the broker, by topic kind");
        _connects = meter.CreateCounter<long>("facewatch.mqtt.connections", "{connection}", "Successful connections to the broker");

        // Subscribe now, not in ExecuteAsync: the pipeline may publish before this service's loop runs.
        _events = hub.Subscribe();
        _health.StatusChanged += OnCameraStatusChanged;
    }

    /// <summary>True while a broker session is up.</summary>
    public bool IsConnected => _connected;

    /// <summary>Message groups waiting for the broker.</summary>
    public int OutboxCount => _outbox.Count;

    /// <summary>Message groups dropped because the outbox was full.</summary>
    public long OutboxDropped => _outbox.Dropped;

    /// <summary>The broker as logged: scheme, host and port, never credentials.</summary>
    public string Broker => _broker;

    public MqttTopics Topics => _messages.Topics;

    public override void Dispose()
    {
        _health.StatusChanged -= OnCameraStatusChanged;
        _ownedMeter?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pump = PumpAsync(stoppingToken);
        var factory = new MqttClientFactory();
        Log.Connecting(_logger, _broker, _clientOptions.ClientId);
        while (!stoppingToken.IsCancellationRequested)
        {
            IMqttClient client;
            var lost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                client = await _connectRetry.ExecuteAsync(ct => ConnectOnceAsync(factory, lost, ct), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            using (client)
            {
                try
                {
                    _connected = true;
                    _lastFailure = null;
                    _connects.Add(1);
                    Log.Connected(_logger, _broker, _attempt, _outbox.Count);
                    _attempt = 0;
                    await AnnounceAsync(client, stoppingToken).ConfigureAwait(false);
                    await SendAsync(client, lost.Task, drainOnly: false, stoppingToken).ConfigureAwait(false);
                    _connected = false;
                    Log.Lost(_logger, _broker, await lost.Task.ConfigureAwait(false), _outbox.Count);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    await pump.ConfigureAwait(false);
                    await CloseAsync(client, lost.Task).ConfigureAwait(false);
                    _connected = false;
                    return;
                }
                catch (Exception ex)
                {
                    _connected = false;
                    Log.Lost(_logger, _broker, lost.Task.IsCompleted ? await lost.Task.ConfigureAwait(false) : ex.Message, _outbox.Count);
                }
            }
        }

        _connected = false;
        await pump.ConfigureAwait(false);
        if (_outbox.Count > 0)
        {
            Log.FlushFailed(_logger, _broker, $"not connected; {_outbox.Count} message group(s) unsent");
        }
    }

    private async ValueTask<IMqttClient> ConnectOnceAsync(MqttClientFactory factory, TaskCompletionSource<string> lost, CancellationToken ct)
    {
        _attempt++;
        var client = factory.CreateMqttClient();
        client.DisconnectedAsync += args =>
        {
            // Only signal here: reconnecting from this event risks deadlocks inside MQTTnet.
            if (args.ClientWasConnected)
            {
                lost.TrySetResult(args.Exception?.Message ?? args.ReasonString ?? args.Reason.ToString());
            }

            return Task.CompletedTask;
        };
        try
        {
            var result = await client.ConnectAsync(_clientOptions, ct).ConfigureAwait(false);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new MqttBrokerRefusedException(result.ResultCode.ToString());
            }

            return client;
        }
        catch (Exception ex) when (ex is not MqttBrokerRefusedException && RefusalCode(ex) is { } code)
        {
            client.Dispose();
            throw new MqttBrokerRefusedException(code, ex);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>MQTTnet reports a refused CONNACK as an exception naming the code; pick out the ones a user must fix.</summary>
    private static string? RefusalCode(Exception ex)
    {
        foreach (var code in new[] { nameof(MqttClientConnectResultCode.BadUserNameOrPassword), nameof(MqttClientConnectResultCode.NotAuthorized), nameof(MqttClientConnectResultCode.ClientIdentifierNotValid), nameof(MqttClientConnectResultCode.Banned) })
        {
            for (var e = ex; e is not null; e = e.InnerException)
            {
                if (e.Message.Contains(code, StringComparison.Ordinal))
                {
                    return code;
                }
            }
        }

        return null;
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

    /// <summary>
    /// Finds our retained discovery configs on the broker (the broker is the record of what we announced)
    /// and empties those of cameras no longer configured, with their retained status and people topics.
    /// </summary>
    private async Task RemoveStaleDiscoveryAsync(IMqttClient client, IReadOnlyCollection<string> cameras, CancellationToken ct)
    {
        var expected = cameras.SelectMany(c => new[] { _messages.Topics.DiscoveryLastPerson(c), _messages.Topics.DiscoveryPeople(c) }).ToHashSet(StringComparer.Ordinal);
        var found = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        var lastArrival = _time.GetTimestamp();
        Task OnMessage(MqttApplicationMessageReceivedEventArgs args)
        {
            var message = args.ApplicationMessage;
            if (message.Retain && message.Payload.Length > 0)
            {
                found[message.Topic] = message.Payload.ToArray();
            }

            Interlocked.Exchange(ref lastArrival, _time.GetTimestamp());
            return Task.CompletedTask;
        }

        client.ApplicationMessageReceivedAsync += OnMessage;
        try
        {
            var filter = _messages.Topics.DiscoveryFilter;
            await client.SubscribeAsync(filter, MqttQualityOfServiceLevel.AtMostOnce, ct).ConfigureAwait(false);
            // The broker sends retained messages right after the SUBACK; stop once they stop coming.
            var start = _time.GetTimestamp();
            lastArrival = start;
            while (_time.GetElapsedTime(Interlocked.Read(ref lastArrival)) < RetainedQuiet && _time.GetElapsedTime(start) < RetainedMax)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, ct).ConfigureAwait(false);
            }

            await client.UnsubscribeAsync(filter, ct).ConfigureAwait(false);
        }
        finally
        {
            client.ApplicationMessageReceivedAsync -= OnMessage;
        }

        foreach (var (topic, payload) in found)
        {
            if (expected.Contains(topic))
            {
                continue;
            }

            foreach (var stateTopic in RetainedStateTopics(payload))
            {
                await PublishAsync(client, _messages.ClearRetained(stateTopic), ct).ConfigureAwait(false);
            }

            await PublishAsync(client, _messages.ClearRetained(topic), ct).ConfigureAwait(false);
            Log.DiscoveryRemoved(_logger, topic);
        }
    }

    /// <summary>The retained per-camera topics a stale config points at (camera status, people list).</summary>
    private IEnumerable<string> RetainedStateTopics(byte[] payload)
    {
        HaSensorConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(payload, MqttJsonContext.Default.HaSensorConfig);
        }
        catch (JsonException)
        {
            yield break;
        }

        if (config is null)
        {
            yield break;
        }

        foreach (var availability in config.Availability)
        {
            if (availability.Topic != _messages.Topics.Status)
            {
                yield return availability.Topic;
            }
        }

        if (config.StateTopic.EndsWith("/people", StringComparison.Ordinal))
        {
            yield return config.StateTopic;
        }
    }

    /// <summary>Sends the outbox in order; returns when the connection is lost (or, with <paramref name="drainOnly"/>, when the outbox is empty).</summary>
    private async Task SendAsync(IMqttClient client, Task lost, bool drainOnly, CancellationToken ct)
    {
        while (true)
        {
            if (!_outbox.TryPeek(out var item))
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

            foreach (var message in item.Messages)
            {
                await PublishAsync(client, message, ct).ConfigureAwait(false);
            }

            _outbox.Remove(item);
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
            Log.PublishRejected(_logger, _broker, message.Topic, result.ReasonString ?? result.ReasonCode.ToString());
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
            Log.Disconnected(_logger, _broker, _outbox.Count);
        }
        catch (Exception ex)
        {
            Log.FlushFailed(_logger, _broker, ex.Message);
        }
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            await foreach (var identityEvent in _events.ReadAllAsync(ct).ConfigureAwait(false))
            {
                Accept(identityEvent);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping: take what the pipeline queued before it stopped
        }

        while (_events.TryRead(out var identityEvent))
        {
            Accept(identityEvent);
        }
    }

    private void Accept(IdentityEvent identityEvent)
    {
        AnnounceIfNew(identityEvent.Camera);
        var people = _presence.Apply(identityEvent);
        Enqueue(new Pending(_messages.ForEvent(identityEvent, people)));
    }

    private void OnCameraStatusChanged(CameraHealth health)
    {
        AnnounceIfNew(health.Camera);
        Enqueue(new Pending([_messages.CameraStatus(health.Camera, health.Online)]));
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
            Enqueue(new Pending(_messages.Discovery(camera)));
        }
    }

    private void Enqueue(Pending item)
    {
        if (_outbox.Enqueue(item) is null)
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

    private string TopicKind(string topic)
    {
        if (topic == _messages.Topics.Status)
        {
            return "status";
        }

        var last = topic[(topic.LastIndexOf('/') + 1)..];
        return last is "status" or "events" or "people" or "snapshot" ? last : last == "config" ? "discovery" : "other";
    }

    private MqttClientOptions BuildClientOptions(string host, int port, bool tls)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(_options.EffectiveClientId)
            .WithCleanSession(_options.CleanSession)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(_options.KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithWillTopic(_messages.Topics.Status)
            .WithWillPayload(MqttPayloadValues.Offline)
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (!_options.Embedded.Enabled && !string.IsNullOrEmpty(_options.Username))
        {
            builder.WithCredentials(_options.Username, _options.Password ?? string.Empty);
        }

        if (tls)
        {
            builder.WithTlsOptions(MqttTls.Build(_options.Tls, host));
        }

        return builder.Build();
    }

    private ResiliencePipeline BuildConnectRetry() =>
        new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(ConnectRetryOptions(_options, args =>
            {
                OnConnectFailed(args.Outcome.Exception!, args.AttemptNumber + 1, args.RetryDelay);
                return default;
            }))
            .Build();

    /// <summary>Reconnect policy: any failure, forever, exponential with jitter between the configured delays.</summary>
    internal static RetryStrategyOptions ConnectRetryOptions(MqttOptions options, Func<OnRetryArguments<object>, ValueTask>? onRetry = null) => new()
    {
        ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
        MaxRetryAttempts = int.MaxValue,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = TimeSpan.FromSeconds(options.ReconnectMinDelaySeconds),
        MaxDelay = TimeSpan.FromSeconds(options.ReconnectMaxDelaySeconds),
        OnRetry = onRetry,
    };

    /// <summary>One warning per new kind of failure; repeats of the same failure go to debug.</summary>
    private void OnConnectFailed(Exception ex, int attempt, TimeSpan delay)
    {
        var reason = ex is MqttBrokerRefusedException refused ? refused.Code : Describe(ex);
        if (reason == _lastFailure)
        {
            Log.StillUnreachable(_logger, _broker, attempt, reason, delay.TotalMilliseconds);
            return;
        }

        _lastFailure = reason;
        if (ex is MqttBrokerRefusedException { Code: nameof(MqttClientConnectResultCode.BadUserNameOrPassword) or nameof(MqttClientConnectResultCode.NotAuthorized) })
        {
            Log.CredentialsRejected(_logger, _broker, _options.Username ?? "(anonymous)", reason, delay.TotalMilliseconds);
        }
        else if (ex is MqttBrokerRefusedException)
        {
            Log.Refused(_logger, _broker, reason, _clientOptions.ClientId, delay.TotalMilliseconds);
        }
        else
        {
            Log.Unreachable(_logger, _broker, reason, delay.TotalMilliseconds);
        }
    }

    private static string Describe(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return ReferenceEquals(inner, ex) ? ex.Message : $"{ex.Message} ({inner.Message})";
    }

    /// <summary>One outbox entry: messages that go out together, in order.</summary>
    private sealed class Pending(IReadOnlyList<MqttApplicationMessage> messages)
    {
        public IReadOnlyList<MqttApplicationMessage> Messages { get; } = messages;
    }
}

/// <summary>The broker answered CONNECT with a refusal the user has to fix (credentials, client id, ban).</summary>
public sealed class MqttBrokerRefusedException : Exception
{
    public MqttBrokerRefusedException(string code, Exception? inner = null)
        : base($"The broker refused the connection: {code}.", inner)
    {
        Code = code;
    }

    public string Code { get; }
}
