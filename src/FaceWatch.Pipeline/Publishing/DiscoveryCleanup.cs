using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

namespace FaceWatch.Pipeline.Publishing;

/// <summary>A discovery config of a camera that is no longer configured, and the retained state topics it points at.</summary>
internal sealed record StaleDiscovery(string ConfigTopic, IReadOnlyList<string> StateTopics);

/// <summary>
/// Finds Home Assistant configs of removed cameras. The broker is the record of what was announced: our retained
/// configs under <see cref="MqttTopics.DiscoveryFilter"/> that no configured camera would publish are stale.
/// </summary>
internal static class DiscoveryCleanup
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(3);

    public static async Task<IReadOnlyList<StaleDiscovery>> FindStaleAsync(
        IMqttClient client, MqttTopics topics, IReadOnlyCollection<string> cameras, TimeProvider time, CancellationToken ct)
    {
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

        return [.. found
            .Where(f => !expected.Contains(f.Key))
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => new StaleDiscovery(f.Key, StateTopics(f.Value, topics)))];
    }

    /// <summary>The retained per-camera topics a config points at: the camera's status (availability) and people list.</summary>
    private static string[] StateTopics(byte[] payload, MqttTopics topics)
    {
        HaSensorConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(payload, MqttJsonContext.Default.HaSensorConfig);
        }
        catch (JsonException)
        {
            return [];
        }

        if (config is null)
        {
            return [];
        }

        var state = config.Availability.Select(a => a.Topic).Where(t => t != topics.Status).ToList();
        if (config.StateTopic.EndsWith("/people", StringComparison.Ordinal))
        {
            state.Add(config.StateTopic);
        }

        return [.. state];
    }
}
