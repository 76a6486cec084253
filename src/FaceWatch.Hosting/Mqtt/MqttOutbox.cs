using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;

using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>
/// The one in-order queue between what the announcer has to say and the session that sends it. An entry is a group
/// of messages that go out together, in order (each list a fresh instance, as <see cref="BoundedOutbox{T}.Remove"/>
/// needs); it leaves only once the broker acknowledged all of it (<see cref="Delivered"/>). Full: the oldest entry is
/// dropped, counted, and warned about once per episode.
/// </summary>
internal sealed class MqttOutbox
{
    private readonly BoundedOutbox<IReadOnlyList<MqttApplicationMessage>> _entries;
    private readonly MqttMetrics _metrics;
    private readonly ILogger _logger;
    private volatile bool _dropping;

    public MqttOutbox(IOptions<MqttOptions> options, MqttMetrics metrics, ILogger<MqttOutbox> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _entries = new BoundedOutbox<IReadOnlyList<MqttApplicationMessage>>(options.Value.OutboxCapacity);
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _metrics.ObserveOutbox(() => _entries.Count);
    }

    /// <summary>Entries waiting for the broker.</summary>
    public int Count => _entries.Count;

    /// <summary>Entries dropped because the outbox was full, since start.</summary>
    public long Dropped => _entries.Dropped;

    public void Enqueue(IReadOnlyList<MqttApplicationMessage> group)
    {
        if (_entries.Enqueue(group) is null)
        {
            return;
        }

        _metrics.OutboxDropped();
        if (!_dropping)
        {
            _dropping = true;
            Log.OutboxFull(_logger, _entries.Capacity, _entries.Dropped);
        }
    }

    /// <summary>The oldest entry, left in place until <see cref="Delivered"/>.</summary>
    public bool TryPeek(out IReadOnlyList<MqttApplicationMessage> group) => _entries.TryPeek(out group);

    /// <summary>Completes when at least one entry is queued.</summary>
    public Task WhenNotEmpty() => _entries.WhenNotEmpty();

    /// <summary>The broker acknowledged every message of <paramref name="group"/>: it leaves the outbox.</summary>
    public void Delivered(IReadOnlyList<MqttApplicationMessage> group)
    {
        _entries.Remove(group);
        if (_dropping && _entries.Count < _entries.Capacity / 2)
        {
            _dropping = false;
            Log.OutboxRecovered(_logger, _entries.Dropped);
        }
    }
}
