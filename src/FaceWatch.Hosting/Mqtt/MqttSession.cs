using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;

using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>
/// The broker session. MQTTnet 5 has no managed client, so this loop owns the connection: it connects with a Polly
/// backoff (<see cref="MqttConnector"/>, which sets the last will on <c>&lt;prefix&gt;/status</c>), lets the
/// <see cref="MqttAnnouncer"/> say <c>online</c> and the state, then sends the <see cref="MqttOutbox"/> in order until
/// the connection drops (an entry leaves it only after the broker acknowledged it), and starts over. On a clean stop
/// it sends what is queued (briefly), <c>offline</c>, and disconnects normally (so the will is not sent).
/// </summary>
internal sealed class MqttSession : BackgroundService
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    private readonly MqttConnector _connector;
    private readonly MqttOutbox _outbox;
    private readonly MqttAnnouncer _announcer;
    private readonly MqttMetrics _metrics;
    private readonly ILogger _logger;
    private volatile bool _connected;

    public MqttSession(MqttConnector connector, MqttOutbox outbox, MqttAnnouncer announcer, MqttMetrics metrics, ILogger<MqttSession> logger)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _outbox = outbox ?? throw new ArgumentNullException(nameof(outbox));
        _announcer = announcer ?? throw new ArgumentNullException(nameof(announcer));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _metrics.ObserveConnection(() => _connected);
    }

    /// <summary>True while a broker session is up and <c>online</c>, discovery and camera states are published.</summary>
    public bool IsConnected => _connected;

    /// <summary>Message groups waiting for the broker.</summary>
    public int OutboxCount => _outbox.Count;

    /// <summary>Message groups dropped because the outbox was full.</summary>
    public long OutboxDropped => _outbox.Dropped;

    /// <summary>The broker as logged: scheme, host and port, never credentials.</summary>
    public string Broker => _connector.Broker;

    public MqttTopics Topics => _announcer.Topics;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_connector.Enabled)
        {
            Log.Disabled(_logger);
            return;
        }

        Log.Connecting(_logger, Broker, _connector.ClientId);
        // A stop must not cut a publish short after the broker has it but before its acknowledgement: the group would
        // stay in the outbox and be sent again by the flush. In-flight publishes get FlushTimeout past the stop.
        using var publishing = new CancellationTokenSource();
        using var stopping = stoppingToken.Register(() => publishing.CancelAfter(FlushTimeout));
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
                var client = connection.Client;
                try
                {
                    _metrics.Connected();
                    Log.Connected(_logger, Broker, connection.Attempts, _outbox.Count);
                    await _announcer.AnnounceAsync(client, (message, ct) => PublishAsync(client, message, ct), stoppingToken).ConfigureAwait(false);
                    _connected = true; // after the broker acknowledged online, discovery and the camera states
                    await SendAsync(client, connection.Lost, drainOnly: false, stoppingToken, publishing.Token).ConfigureAwait(false);
                    _connected = false;
                    Log.Lost(_logger, Broker, await connection.Lost.ConfigureAwait(false), _outbox.Count);
                }
                catch (Exception) when (stoppingToken.IsCancellationRequested)
                {
                    // any failure of a send cut short by the stop (cancelled, or the client torn down): flush and leave
                    await CloseAsync(client, connection.Lost).ConfigureAwait(false);
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
        if (_outbox.Count > 0)
        {
            Log.FlushFailed(_logger, Broker, $"not connected; {_outbox.Count} message group(s) unsent");
        }
    }

    /// <summary>Sends the outbox in order; returns when the connection is lost (or, with <paramref name="drainOnly"/>, when the outbox is empty).</summary>
    /// <param name="ct">Ends the wait for new messages.</param>
    /// <param name="publishToken">Ends a publish in flight (the stop gives it a grace period).</param>
    private async Task SendAsync(IMqttClient client, Task lost, bool drainOnly, CancellationToken ct, CancellationToken publishToken)
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
                await PublishAsync(client, group[i], publishToken).ConfigureAwait(false);
            }

            _outbox.Delivered(group);
        }
    }

    private async Task PublishAsync(IMqttClient client, MqttApplicationMessage message, CancellationToken ct)
    {
        var result = await client.PublishAsync(message, ct).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            Log.PublishRejected(_logger, Broker, message.Topic, result.ReasonString ?? result.ReasonCode.ToString());
        }

        _metrics.Published(message.Topic);
    }

    /// <summary>Clean stop: send what is queued (briefly), then <c>offline</c> and a normal disconnect (so the will is not sent).</summary>
    private async Task CloseAsync(IMqttClient client, Task lost)
    {
        using var timeout = new CancellationTokenSource(FlushTimeout);
        try
        {
            await SendAsync(client, lost, drainOnly: true, timeout.Token, timeout.Token).ConfigureAwait(false);
            await PublishAsync(client, _announcer.Offline, timeout.Token).ConfigureAwait(false);
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
}
