using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>
/// An MQTT broker inside the daemon (<c>Mqtt:Embedded:Enabled</c>): a local default for one machine (the zero-config
/// demo, a single box with Home Assistant next to it), not a shared broker. Registered before <see cref="MqttSession"/>,
/// so it listens before the publisher's first connect. Retained messages live in memory only. It guards itself:
/// <list type="bullet">
/// <item>FaceWatch's own client id is reserved: only the publisher of this process (which proves it with a secret made
/// at start) may use it, so nobody can kick FaceWatch off;</item>
/// <item>only FaceWatch publishes under <c>Mqtt:TopicPrefix</c> and its Home Assistant node (also as a last will);</item>
/// <item>messages over <c>MaxMessageBytes</c>, and retained messages of others beyond <c>MaxRetainedMessages</c> /
/// <c>MaxRetainedBytes</c>, are refused;</item>
/// <item>with <c>Username</c>/<c>Password</c> set (required for a non-loopback bind) every other client must give them.</item>
/// </list>
/// Every refusal is logged, rate-limited (an outsider decides how often).
/// </summary>
public sealed class EmbeddedBroker : IHostedService, IDisposable
{
    // MQTTnet only assigns ids to MQTT 5 clients that send none; mosquitto_sub (MQTT 3.1.1, clean session) sends
    // none either, and the demo must be watchable with it. The packet is only reachable through this field.
    private static readonly FieldInfo? ConnectPacketField =
        typeof(ValidatingConnectionEventArgs).GetField("_connectPacket", BindingFlags.NonPublic | BindingFlags.Instance);

    private readonly EmbeddedBrokerOptions _options;
    private readonly bool _enabled;
    private readonly ILogger _logger;
    private readonly string _ownClientId;
    private readonly byte[] _ownSecret = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _password;
    private readonly string _prefix;
    private readonly string _discoveryPrefix;
    private readonly string _node;
    private readonly LogThrottle _throttle = new();
    private readonly Lock _retainedGate = new();
    private readonly Dictionary<string, (int Bytes, bool Own)> _retained = new(StringComparer.Ordinal);
    private long _othersRetainedBytes;
    private int _othersRetainedCount;
    private MqttServer? _server;

    public EmbeddedBroker(IOptions<MqttOptions> options, ILogger<EmbeddedBroker> logger, IOptions<HomeAssistantOptions>? homeAssistant = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Embedded;
        _enabled = options.Value.Enabled && _options.Enabled;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _password = Encoding.UTF8.GetBytes(_options.Password ?? "");
        _ownClientId = options.Value.EffectiveClientId;
        _prefix = options.Value.TopicPrefix;
        _discoveryPrefix = homeAssistant?.Value.DiscoveryPrefix is { Length: > 0 } discovery ? discovery : "homeassistant";
        _node = MqttTopics.NodeId(string.IsNullOrEmpty(_prefix) ? "facewatch" : _prefix);
    }

    public bool IsRunning => _server?.IsStarted == true;

    /// <summary>What this process's publisher logs in with while this broker runs (null otherwise): never sent to another broker.</summary>
    internal MqttClientCredentials? OwnCredentials => IsRunning ? new MqttClientCredentials(_ownClientId, _ownSecret) : null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_enabled)
        {
            return;
        }

        var address = IPAddress.Parse(_options.BindAddress);
        var builder = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointPort(_options.Port);
        // Listen on exactly the configured address: the other address family gets no listener.
        builder = address.AddressFamily == AddressFamily.InterNetworkV6
            ? builder.WithDefaultEndpointBoundIPV6Address(address).WithDefaultEndpointBoundIPAddress(IPAddress.None)
            : builder.WithDefaultEndpointBoundIPAddress(address).WithDefaultEndpointBoundIPV6Address(IPAddress.None);

        // A restart (StopAsync, then StartAsync) replaces the stopped server: dispose it rather than drop it.
        if (_server is { IsStarted: false } stopped)
        {
            stopped.Dispose();
        }

        _server = new MqttServerFactory().CreateMqttServer(builder.Build());
        _server.ValidatingConnectionAsync += ValidateConnection;
        _server.InterceptingPublishAsync += InterceptPublish;
        try
        {
            await _server.StartAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (FindSocketError(ex) is { } socketError)
        {
            _server.Dispose();
            _server = null;
            if (socketError.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                // Typically a system mosquitto on 1883: the demo still works by publishing to it, say so plainly.
                Log.EmbeddedPortInUse(_logger, $"{_options.BindAddress}:{_options.Port}");
                return;
            }

            throw new InvalidOperationException(
                $"Mqtt:Embedded: cannot listen on {_options.BindAddress}:{_options.Port} ({socketError.Message}). Change Mqtt:Embedded:BindAddress or Mqtt:Embedded:Port, or disable Mqtt:Embedded:Enabled.",
                ex);
        }

        var endpoint = $"{_options.BindAddress}:{_options.Port}";
        var access = string.IsNullOrEmpty(_options.Username) ? "anonymous clients allowed" : $"clients log in as '{_options.Username}'";
        if (_options.IsLoopback)
        {
            Log.EmbeddedStarted(_logger, endpoint, access);
        }
        else
        {
            Log.EmbeddedExposed(_logger, endpoint, access);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { IsStarted: true } server)
        {
            await server.StopAsync().ConfigureAwait(false);
            Log.EmbeddedStopped(_logger);
        }
    }

    public void Dispose() => _server?.Dispose();

    private Task ValidateConnection(ValidatingConnectionEventArgs args)
    {
        var packet = ConnectPacketField?.GetValue(args) as MqttConnectPacket;
        if (args.ClientId == _ownClientId)
        {
            if (!CryptographicOperations.FixedTimeEquals(args.RawPassword ?? [], _ownSecret))
            {
                args.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
                Refuse("own-client-id", args.RemoteEndPoint, $"client id '{LogText.Printable(args.ClientId)}' is FaceWatch's own");
            }

            return Task.CompletedTask;
        }

        if (!string.IsNullOrEmpty(_options.Username)
            && !(args.UserName == _options.Username
                 && CryptographicOperations.FixedTimeEquals(args.RawPassword ?? [], _password)))
        {
            args.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            Refuse("credentials", args.RemoteEndPoint, string.IsNullOrEmpty(args.UserName)
                ? "no user name (Mqtt:Embedded:Username is set)"
                : $"wrong user name or password for user '{LogText.Printable(args.UserName)}'");
            return Task.CompletedTask;
        }

        if (packet is { WillFlag: true, WillTopic: { } will } && IsProtected(will))
        {
            args.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            Refuse("will", args.RemoteEndPoint, $"last will on '{LogText.Printable(will)}', which only FaceWatch may publish");
            return Task.CompletedTask;
        }

        AssignClientId(args, packet);
        return Task.CompletedTask;
    }

    private Task InterceptPublish(InterceptingPublishEventArgs args)
    {
        var message = args.ApplicationMessage;
        var own = args.ClientId == _ownClientId;
        var size = message.Payload.Length;
        if (size > _options.MaxMessageBytes)
        {
            Reject(args, MqttPubAckReasonCode.QuotaExceeded, "too-large",
                $"{size} byte message on '{LogText.Printable(message.Topic)}' (Mqtt:Embedded:MaxMessageBytes is {_options.MaxMessageBytes})");
            return Task.CompletedTask;
        }

        if (!own && IsProtected(message.Topic))
        {
            Reject(args, MqttPubAckReasonCode.NotAuthorized, "acl",
                $"publish on '{LogText.Printable(message.Topic)}', which only FaceWatch may publish");
            return Task.CompletedTask;
        }

        if (message.Retain && !TryRetain(message.Topic, (int)size, own))
        {
            Reject(args, MqttPubAckReasonCode.QuotaExceeded, "retained",
                $"retained message on '{LogText.Printable(message.Topic)}': the retained store of other clients is full (Mqtt:Embedded:MaxRetainedMessages {_options.MaxRetainedMessages}, Mqtt:Embedded:MaxRetainedBytes {_options.MaxRetainedBytes})");
        }

        return Task.CompletedTask;
    }

    /// <summary>Counts a retained message (an empty one deletes); false when another client's would overflow the limits.</summary>
    private bool TryRetain(string topic, int size, bool own)
    {
        lock (_retainedGate)
        {
            var had = _retained.TryGetValue(topic, out var old);
            var count = _othersRetainedCount - (had && !old.Own ? 1 : 0);
            var bytes = _othersRetainedBytes - (had && !old.Own ? old.Bytes : 0);
            if (size > 0 && !own && (count + 1 > _options.MaxRetainedMessages || bytes + size > _options.MaxRetainedBytes))
            {
                return false;
            }

            if (size == 0)
            {
                _retained.Remove(topic);
            }
            else
            {
                _retained[topic] = (size, own);
                if (!own)
                {
                    count++;
                    bytes += size;
                }
            }

            _othersRetainedCount = count;
            _othersRetainedBytes = bytes;
            return true;
        }
    }

    /// <summary>Topics only FaceWatch publishes: its prefix, and its node under the Home Assistant discovery prefix.</summary>
    private bool IsProtected(string topic)
    {
        if (MqttTopics.IsUnder(topic, _prefix))
        {
            return true;
        }

        // <discovery_prefix>/<component>/<node>/...: Home Assistant's own <discovery_prefix>/status stays open
        if (!MqttTopics.IsUnder(topic, _discoveryPrefix))
        {
            return false;
        }

        var rest = topic.AsSpan(Math.Min(topic.Length, _discoveryPrefix.Length + 1));
        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            return false;
        }

        var afterComponent = rest[(slash + 1)..];
        var end = afterComponent.IndexOf('/');
        var node = end < 0 ? afterComponent : afterComponent[..end];
        return node.SequenceEqual(_node);
    }

    private void Reject(InterceptingPublishEventArgs args, MqttPubAckReasonCode code, string kind, string what)
    {
        args.ProcessPublish = false;
        if (args.Response is { } response)
        {
            response.ReasonCode = code;
        }

        if (_throttle.ShouldLog(kind, out var suppressed))
        {
            Log.EmbeddedPublishRefused(_logger, LogText.Printable(args.ClientId), what, suppressed);
        }
    }

    private void Refuse(string kind, EndPoint? remote, string why)
    {
        if (_throttle.ShouldLog(kind, out var suppressed))
        {
            Log.EmbeddedConnectionRefused(_logger, remote?.ToString() ?? "?", why, suppressed);
        }
    }

    /// <summary>Gives a client that sent an empty client id (allowed with clean session) a generated one, as brokers do.</summary>
    private static void AssignClientId(ValidatingConnectionEventArgs args, MqttConnectPacket? packet)
    {
        if (string.IsNullOrEmpty(args.ClientId) && args.CleanSession != false)
        {
            var id = "auto-" + Guid.NewGuid().ToString("N");
            args.AssignedClientIdentifier = id; // MQTT 5
            if (packet is not null)
            {
                packet.ClientId = id; // MQTT 3.1.1
            }
        }
    }

    private static SocketException? FindSocketError(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is SocketException socket)
            {
                return socket;
            }
        }

        return null;
    }
}
