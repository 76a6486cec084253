using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>A discovery config of a camera that is no longer configured, and the retained state topics of that camera.</summary>
internal sealed record StaleDiscovery(string ConfigTopic, IReadOnlyList<string> StateTopics);

/// <summary>What the broker holds under our node: configs of removed cameras (ours), and configs that are not ours.</summary>
internal sealed record DiscoveryScan(IReadOnlyList<StaleDiscovery> Stale, IReadOnlyList<string> Foreign);

/// <summary>
/// Finds Home Assistant configs of removed cameras. The broker is the record of what was announced, but anyone may
/// write there: a retained config under <see cref="MqttTopics.DiscoveryFilter"/> counts as ours only when it is
/// exactly what this instance would publish for the camera it names (same topic, unique id, state and availability
/// topics under our prefix, and our instance id in <c>device.serial_number</c>). The state topics cleared with it
/// are computed from our own prefix, never read from the payload.
/// </summary>
internal static class DiscoveryCleanup
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(3);

    public static async Task<DiscoveryScan> FindStaleAsync(
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
