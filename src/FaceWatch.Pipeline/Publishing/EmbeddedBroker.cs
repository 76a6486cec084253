using System.Net;
using System.Reflection;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Packets;
using MQTTnet.Server;

namespace FaceWatch.Pipeline.Publishing;

/// <summary>
/// An MQTT broker inside the daemon (<c>Mqtt:Embedded:Enabled</c>), on loopback by default, so the
/// zero-config demo can be watched with <c>mosquitto_sub</c>. Registered before <see cref="MqttPublisher"/>,
/// so it listens before the publisher's first connect. Retained messages live in memory only.
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
    private MqttServer? _server;

    public EmbeddedBroker(IOptions<MqttOptions> options, ILogger<EmbeddedBroker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Embedded;
        _enabled = options.Value.Enabled && _options.Enabled;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public bool IsRunning => _server?.IsStarted == true;

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

        _server = new MqttServerFactory().CreateMqttServer(builder.Build());
        _server.ValidatingConnectionAsync += AssignClientId;
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

        Log.EmbeddedStarted(_logger, $"{_options.BindAddress}:{_options.Port}");
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

    /// <summary>Gives a client that sent an empty client id (allowed with clean session) a generated one, as brokers do.</summary>
    private static Task AssignClientId(ValidatingConnectionEventArgs args)
    {
        if (string.IsNullOrEmpty(args.ClientId) && args.CleanSession != false)
        {
            var id = "auto-" + Guid.NewGuid().ToString("N");
            args.AssignedClientIdentifier = id; // MQTT 5
            if (ConnectPacketField?.GetValue(args) is MqttConnectPacket packet)
            {
                packet.ClientId = id; // MQTT 3.1.1
            }
        }

        return Task.CompletedTask;
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
