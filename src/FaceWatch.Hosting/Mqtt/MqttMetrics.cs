using System.Diagnostics.Metrics;

using FaceWatch.Core.Health;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>
/// The <c>facewatch.mqtt.*</c> instruments on the meter <c>FaceWatch</c> (from <see cref="IMeterFactory"/>, one per
/// process: register as a singleton). The outbox and the session report their state through <see cref="ObserveOutbox"/>
/// and <see cref="ObserveConnection"/>; until then the gauges report nothing.
/// </summary>
public sealed class MqttMetrics
{
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _published;
    private readonly Counter<long> _connects;
    private volatile Func<int>? _outboxSize;
    private volatile Func<bool>? _connected;

    public MqttMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
#pragma warning disable CA2000 // a factory meter belongs to the factory, which disposes it with the host
        var meter = meterFactory.Create(FaceWatchMetrics.MeterName);
#pragma warning restore CA2000
        meter.CreateObservableGauge("facewatch.mqtt.outbox.size", ObserveOutboxSize, "{message_group}", "Message groups (event + people list, or a state change) waiting for the broker");
        meter.CreateObservableGauge("facewatch.mqtt.connected", ObserveConnected, null, "1 while connected to the MQTT broker");
        _dropped = meter.CreateCounter<long>("facewatch.mqtt.outbox.dropped", "{message_group}", "Oldest outbox entries dropped because the outbox was full");
        _published = meter.CreateCounter<long>("facewatch.mqtt.messages.published", "{message}", "Messages acknowledged by the broker, by topic kind");
        _connects = meter.CreateCounter<long>("facewatch.mqtt.connections", "{connection}", "Successful connections to the broker");
    }

    /// <summary>Reports <paramref name="size"/> as <c>facewatch.mqtt.outbox.size</c>.</summary>
    public void ObserveOutbox(Func<int> size) => _outboxSize = size ?? throw new ArgumentNullException(nameof(size));

    /// <summary>Reports <paramref name="connected"/> as <c>facewatch.mqtt.connected</c> (1/0).</summary>
    public void ObserveConnection(Func<bool> connected) => _connected = connected ?? throw new ArgumentNullException(nameof(connected));

    public void OutboxDropped() => _dropped.Add(1);

    public void Connected() => _connects.Add(1);

    /// <summary>One message acknowledged by the broker on <paramref name="topic"/>.</summary>
    public void Published(string topic) => _published.Add(1, new KeyValuePair<string, object?>("kind", TopicKind(topic)));

    /// <summary>
    /// The <c>kind</c> tag of a sent message: its topic's last level (both status topics end in <c>status</c>), or
    /// <c>person</c> for <c>&lt;prefix&gt;/people/&lt;person&gt;</c>.
    /// </summary>
    private static string TopicKind(string topic)
    {
        // runs for every message sent: match the levels as spans, no substring
        var last = topic.LastIndexOf('/');
        var kind = topic.AsSpan(last + 1) switch
        {
            "status" => "status",
            "events" => "events",
            "people" => "people",
            "snapshot" => "snapshot",
            "unknown" => "unknown",
            "config" => "discovery",
            _ => "other",
        };
        return kind == "other" && last > 0 && topic.AsSpan(0, last).EndsWith("/people", StringComparison.Ordinal) ? "person" : kind;
    }

    private IEnumerable<Measurement<int>> ObserveOutboxSize()
    {
        if (_outboxSize is { } size)
        {
            yield return new Measurement<int>(size());
        }
    }

    private IEnumerable<Measurement<int>> ObserveConnected()
    {
        if (_connected is { } connected)
        {
            yield return new Measurement<int>(connected() ? 1 : 0);
        }
    }
}
