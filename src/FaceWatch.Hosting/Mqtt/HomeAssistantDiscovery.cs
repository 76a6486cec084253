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

/// <summary>
/// What the broker holds under our node: configs of removed cameras (ours), the people this instance has configs
/// for (whether still enrolled is the announcer's to decide), and configs that are not ours.
/// </summary>
internal sealed record DiscoveryScan(IReadOnlyList<StaleDiscovery> Stale, IReadOnlyList<string> People, IReadOnlyList<string> Foreign);

/// <summary>
/// Home Assistant discovery (<c>HomeAssistant:Discovery</c>): the configs of each camera, and the removal of configs
/// of cameras no longer configured. The broker is the record of what was announced, but anyone may write there: a
/// retained config under <see cref="MqttTopics.DiscoveryFilters"/> counts as ours only when it is exactly what this
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

    /// <summary>Every discovery config of a camera, retained (only when <see cref="Enabled"/>).</summary>
    public IReadOnlyList<MqttApplicationMessage> Configs(string camera) => _messages.Discovery(camera);

    /// <summary>
    /// Empties the retained discovery configs (and state topics) of cameras not in <paramref name="cameras"/>; returns
    /// the people this instance has discovery configs for on the broker.
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveStaleAsync(
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

        return scan.People;
    }

    /// <summary>What the broker holds under our node, read from the retained configs sent right after subscribing.</summary>
    private static async Task<DiscoveryScan> FindStaleAsync(
        IMqttClient client, MqttMessageFactory messages, IReadOnlyCollection<string> cameras, TimeProvider time, CancellationToken ct)
    {
        var topics = messages.Topics;
        var expected = cameras.SelectMany(c => messages.CameraConfigProbes(c).Keys).ToHashSet(StringComparer.Ordinal);
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
            var subscribe = new MqttClientSubscribeOptionsBuilder();
            foreach (var filter in topics.DiscoveryFilters)
            {
                subscribe.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtMostOnce);
            }

            await client.SubscribeAsync(subscribe.Build(), ct).ConfigureAwait(false);
            // The broker sends retained messages right after the SUBACK; stop once they stop coming.
            var start = time.GetTimestamp();
            Interlocked.Exchange(ref lastArrival, start);
            while (time.GetElapsedTime(Interlocked.Read(ref lastArrival)) < Quiet && time.GetElapsedTime(start) < Longest)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct).ConfigureAwait(false);
            }

            var unsubscribe = new MqttClientUnsubscribeOptionsBuilder();
            foreach (var filter in topics.DiscoveryFilters)
            {
                unsubscribe.WithTopicFilter(filter);
            }

            await client.UnsubscribeAsync(unsubscribe.Build(), ct).ConfigureAwait(false);
        }
        finally
        {
            client.ApplicationMessageReceivedAsync -= OnMessage;
        }

        var stale = new List<StaleDiscovery>();
        var people = new SortedSet<string>(StringComparer.Ordinal);
        var foreign = new List<string>();
        foreach (var (topic, payload) in found.Where(f => !expected.Contains(f.Key)).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var (camera, person) = Owner(topic, payload, messages);
            if (camera is not null)
            {
                stale.Add(new StaleDiscovery(topic, [topics.CameraStatus(camera), topics.People(camera)]));
            }
            else if (person is not null)
            {
                people.Add(person);
            }
            else
            {
                foreign.Add(topic);
            }
        }

        return new DiscoveryScan(stale, [.. people], foreign);
    }

    /// <summary>The camera a retained config was published for by this very instance, or null when it is not ours.</summary>
    internal static string? OwnCamera(string topic, byte[] payload, MqttMessageFactory messages) => Owner(topic, payload, messages).Camera;

    /// <summary>
    /// The camera or the person a retained config was published for by this very instance (neither when it is not ours):
    /// the device's model says which, its name names them, and the config must be exactly what we would publish there.
    /// </summary>
    internal static (string? Camera, string? Person) Owner(string topic, byte[] payload, MqttMessageFactory messages)
    {
        HaConfigProbe? config;
        try
        {
            config = JsonSerializer.Deserialize(payload, MqttJsonContext.Default.HaConfigProbe);
        }
        catch (JsonException)
        {
            return (null, null);
        }

        if (config?.Device is not { Name: { } deviceName } device || device.SerialNumber != messages.InstanceId)
        {
            return (null, null);
        }

        if (device.Model == MqttMessageFactory.PersonModel)
        {
            return Matches(config, messages.PersonConfigProbes(deviceName), topic) ? (null, deviceName) : (null, null);
        }

        if (!deviceName.StartsWith(MqttMessageFactory.DeviceNamePrefix, StringComparison.Ordinal))
        {
            return (null, null);
        }

        var camera = deviceName[MqttMessageFactory.DeviceNamePrefix.Length..];
        return Matches(config, messages.CameraConfigProbes(camera), topic) ? (camera, null) : (null, null);
    }

    private static bool Matches(HaConfigProbe config, IReadOnlyDictionary<string, HaConfigProbe> ours, string topic) =>
        ours.TryGetValue(topic, out var mine)
        && config.UniqueId == mine.UniqueId
        && config.StateTopic == mine.StateTopic
        && config.JsonAttributesTopic == mine.JsonAttributesTopic
        && config.Availability is { } availability
        && availability.Select(a => a.Topic).SequenceEqual(mine.Availability!.Select(a => a.Topic), StringComparer.Ordinal)
        && config.Device!.Identifiers is { } ids && ids.SequenceEqual(mine.Device!.Identifiers, StringComparer.Ordinal);
}
