using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Publishing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>A discovery config of a camera that is no longer configured, and the retained state topics of that camera.</summary>
internal sealed record StaleDiscovery(string ConfigTopic, IReadOnlyList<string> StateTopics);

/// <summary>What the broker holds under our node: configs of removed cameras (ours), and configs that are not ours.</summary>
internal sealed record DiscoveryScan(IReadOnlyList<StaleDiscovery> Stale, IReadOnlyList<string> Foreign);

/// <summary>
/// Home Assistant discovery (<c>HomeAssistant:Discovery</c>): the configs of each camera, and the removal of configs
/// of cameras no longer configured. The broker is the record of what was announced, but anyone may write there: a
/// retained config under <see cref="MqttTopics.DiscoveryFilter"/> counts as ours only when it is exactly what this
/// instance would publish for the camera it names (same topic, unique id, state and availability topics under our
/// prefix, and our instance id in <c>device.serial_number</c>). The state topics cleared with it are computed from our
/// own prefix, never read from the payload.
/// </summary>
internal sealed class HomeAssistantDiscovery
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(3);

    private readonly MqttMessageFactory _messages;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public HomeAssistantDiscovery(IOptions<HomeAssistantOptions> options, MqttMessageFactory messages, TimeProvider time, ILogger<HomeAssistantDiscovery> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Enabled = options.Value.Discovery;
        _messages = messages ?? throw new ArgumentNullException(nameof(messages));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary><c>HomeAssistant:Discovery</c>: whether cameras are announced to Home Assistant at all.</summary>
    public bool Enabled { get; }

    /// <summary>Both discovery configs of a camera, retained (only when <see cref="Enabled"/>).</summary>
    public IReadOnlyList<MqttApplicationMessage> Configs(string camera) => _messages.Discovery(camera);

    /// <summary>Empties the retained discovery configs (and state topics) of cameras not in <paramref name="cameras"/>.</summary>
    public async Task RemoveStaleAsync(
        IMqttClient client, IReadOnlyCollection<string> cameras, Func<MqttApplicationMessage, CancellationToken, Task> publish, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(publish);
        var scan = await FindStaleAsync(client, _messages, cameras, _time, ct).ConfigureAwait(false);
        if (scan.Foreign.Count > 0)
        {
            // one line however many there are: anyone who can publish to the broker decides how many
            Log.DiscoveryNotOurs(_logger, scan.Foreign.Count, string.Join(", ", scan.Foreign.Take(3).Select(LogText.Printable)), _messages.InstanceId);
        }

        foreach (var stale in scan.Stale)
        {
            foreach (var topic in stale.StateTopics.Append(stale.ConfigTopic))
            {
                await publish(_messages.ClearRetained(topic), ct).ConfigureAwait(false);
            }

            Log.DiscoveryRemoved(_logger, stale.ConfigTopic);
        }
    }

    /// <summary>What the broker holds under our node, read from the retained configs sent right after subscribing.</summary>
    private static async Task<DiscoveryScan> FindStaleAsync(
        IMqttClient client, MqttMessageFactory messages, IReadOnlyCollection<string> cameras, TimeProvider time, CancellationToken ct)
    {
        var topics = messages.Topics;
        var expected = cameras.SelectMany(c => new[] { topics.DiscoveryLastPerson(c), topics.DiscoveryPeople(c) }).ToHashSet(StringComparer.Ordinal);
        var found = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        var lastArrival = time.GetTimestamp();
        Task OnMessage(MqttApplicationMessageReceivedEventArgs args)
        {
            var message = args.ApplicationMessage;
            if (message.Retain && message.Payload.Length > 0)
            {
                found[message.Topic] = message.Payload.ToArray();
            }

            Interlocked.Exchange(ref lastArrival, time.GetTimestamp());
            return Task.CompletedTask;
        }

        client.ApplicationMessageReceivedAsync += OnMessage;
        try
        {
            await client.SubscribeAsync(topics.DiscoveryFilter, MqttQualityOfServiceLevel.AtMostOnce, ct).ConfigureAwait(false);
            // The broker sends retained messages right after the SUBACK; stop once they stop coming.
            var start = time.GetTimestamp();
            Interlocked.Exchange(ref lastArrival, start);
            while (time.GetElapsedTime(Interlocked.Read(ref lastArrival)) < Quiet && time.GetElapsedTime(start) < Longest)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct).ConfigureAwait(false);
            }

            await client.UnsubscribeAsync(topics.DiscoveryFilter, ct).ConfigureAwait(false);
        }
        finally
        {
            client.ApplicationMessageReceivedAsync -= OnMessage;
        }

        var stale = new List<StaleDiscovery>();
        var foreign = new List<string>();
        foreach (var (topic, payload) in found.Where(f => !expected.Contains(f.Key)).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (OwnCamera(topic, payload, messages) is { } camera)
            {
                stale.Add(new StaleDiscovery(topic, [topics.CameraStatus(camera), topics.People(camera)]));
            }
            else
            {
                foreign.Add(topic);
            }
        }

        return new DiscoveryScan(stale, foreign);
    }

    /// <summary>The camera a retained config was published for by this very instance, or null when it is not ours.</summary>
    internal static string? OwnCamera(string topic, byte[] payload, MqttMessageFactory messages)
    {
        HaSensorConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(payload, MqttJsonContext.Default.HaSensorConfig);
        }
        catch (JsonException)
        {
            return null;
        }

        if (config?.Device is not { Name: { } deviceName } device
            || !deviceName.StartsWith(MqttMessageFactory.DeviceNamePrefix, StringComparison.Ordinal)
            || device.SerialNumber != messages.InstanceId)
        {
            return null;
        }

        var camera = deviceName[MqttMessageFactory.DeviceNamePrefix.Length..];
        var topics = messages.Topics;
        var ours = topic == topics.DiscoveryLastPerson(camera) ? messages.LastPersonConfig(camera)
            : topic == topics.DiscoveryPeople(camera) ? messages.PeopleConfig(camera)
            : null;
        return ours is not null
            && config.UniqueId == ours.UniqueId
            && config.StateTopic == ours.StateTopic
            && config.JsonAttributesTopic == ours.JsonAttributesTopic
            && config.Availability is { } availability
            && availability.Select(a => a.Topic).SequenceEqual(ours.Availability.Select(a => a.Topic), StringComparer.Ordinal)
            && device.Identifiers is { } ids && ids.SequenceEqual(ours.Device.Identifiers, StringComparer.Ordinal)
            ? camera
            : null;
    }
}
