using MQTTnet;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>
/// What the broker is told about FaceWatch and its cameras. At every connect (the broker may have lost its retained
/// state): <c>online</c>, the stale discovery cleanup (once), every camera's discovery configs, status and people list.
/// In between, into the outbox: each identity event with its camera's people list after it, camera status changes,
/// and the discovery configs of a camera the first time it shows up. The last will and <see cref="Offline"/> say
/// <c>offline</c>. Per enrolled person (once the gallery is loaded): the discovery configs and the retained presence at
/// every connect, presence changes into the outbox, and the configs and state of people no longer enrolled (found on
/// the broker at the first connect, or removed by a hot reload) emptied. Thread-safe: events and status changes
/// arrive on other threads than the session's.
/// </summary>
internal sealed class MqttAnnouncer
{
    private readonly MqttMessageFactory _messages;
    private readonly HomeAssistantDiscovery _discovery;
    private readonly CameraHealthRegistry _health;
    private readonly MqttOutbox _outbox;
    private readonly IConfiguredCameras? _configured;
    private readonly PresenceBook _presence = new();
    private readonly HashSet<string> _announced = new(StringComparer.Ordinal);
    private readonly Lock _announcedGate = new();
    private readonly PersonPresence _people;
    private readonly IEnrolledPeople? _enrolled;
    private readonly HashSet<string> _peopleOnBroker = new(StringComparer.Ordinal);
    private readonly Lock _peopleGate = new();
    private bool _staleDiscoveryChecked;

    public MqttAnnouncer(
        MqttMessageFactory messages, HomeAssistantDiscovery discovery, CameraHealthRegistry health, MqttOutbox outbox, PersonPresence people,
        IConfiguredCameras? configured = null, IEnrolledPeople? enrolled = null)
    {
        _messages = messages ?? throw new ArgumentNullException(nameof(messages));
        _discovery = discovery ?? throw new ArgumentNullException(nameof(discovery));
        _health = health ?? throw new ArgumentNullException(nameof(health));
        _outbox = outbox ?? throw new ArgumentNullException(nameof(outbox));
        _people = people ?? throw new ArgumentNullException(nameof(people));
        _configured = configured;
        _enrolled = enrolled;
        if (_enrolled is not null)
        {
            _enrolled.Changed += EnrolledChanged;
        }
    }

    public MqttTopics Topics => _messages.Topics;

    /// <summary><c>&lt;prefix&gt;/status</c> = <c>offline</c>, sent on a clean stop (the last will says the same otherwise).</summary>
    public MqttApplicationMessage Offline => _messages.Status(online: false);

    /// <summary>
    /// On every connect, through <paramref name="publish"/> (which returns once the broker acknowledged): online, the
    /// stale discovery cleanup, discovery, every camera's status and people list.
    /// </summary>
    public async Task AnnounceAsync(IMqttClient client, Func<MqttApplicationMessage, CancellationToken, Task> publish, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(publish);
        await publish(_messages.Status(online: true), ct).ConfigureAwait(false);

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

        if (_discovery.Enabled)
        {
            if (_configured is not null && !_staleDiscoveryChecked)
            {
                var found = await _discovery.RemoveStaleAsync(client, cameras, publish, ct).ConfigureAwait(false);
                lock (_peopleGate)
                {
                    _peopleOnBroker.UnionWith(found);
                }

                _staleDiscoveryChecked = true;
            }

            foreach (var camera in cameras)
            {
                foreach (var message in _discovery.Configs(camera))
                {
                    await publish(message, ct).ConfigureAwait(false);
                }
            }
        }

        foreach (var camera in cameras)
        {
            var online = health.FirstOrDefault(h => h.Camera == camera)?.Online ?? false;
            await publish(_messages.CameraStatus(camera, online), ct).ConfigureAwait(false);
            await publish(_messages.People(camera, _presence.Get(camera)), ct).ConfigureAwait(false);
        }

        if (_enrolled?.Names is { } names)
        {
            foreach (var message in SyncEnrolled(names, withAdded: false))
            {
                await publish(message, ct).ConfigureAwait(false);
            }

            foreach (var message in _people.All().SelectMany(PersonAnnouncement))
            {
                await publish(message, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>People whose away time passed: queues their new state.</summary>
    public void CheckAway()
    {
        foreach (var state in _people.CheckAway())
        {
            _outbox.Enqueue([_messages.Person(state)]);
        }
    }

    private void EnrolledChanged()
    {
        if (_enrolled?.Names is { } names && SyncEnrolled(names, withAdded: true) is { Count: > 0 } messages)
        {
            _outbox.Enqueue(messages);
        }
    }

    /// <summary>What announces a person: their discovery configs (when discovery is on), then their retained state.</summary>
    private IEnumerable<MqttApplicationMessage> PersonAnnouncement(PersonState state) =>
        _discovery.Enabled ? [.. _messages.PersonDiscovery(state.Name), _messages.Person(state)] : [_messages.Person(state)];

    /// <summary>
    /// Takes the enrolled names: empties what the broker holds of people no longer enrolled (configs and state) and,
    /// <paramref name="withAdded"/>, announces the newly enrolled (configs and their state).
    /// </summary>
    private List<MqttApplicationMessage> SyncEnrolled(IReadOnlyList<string> names, bool withAdded)
    {
        var messages = new List<MqttApplicationMessage>();
        lock (_peopleGate)
        {
            var change = _people.SetEnrolled(names);
            var enrolled = names.ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _peopleOnBroker.Where(n => !enrolled.Contains(n)).Union(change.Removed, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList())
            {
                messages.AddRange(_messages.ClearPerson(gone, _discovery.Enabled));
                _peopleOnBroker.Remove(gone);
            }

            _peopleOnBroker.UnionWith(enrolled);
            if (withAdded)
            {
                messages.AddRange(change.Added.SelectMany(PersonAnnouncement));
            }
        }

        return messages;
    }

    /// <summary>An identity event: queues it with its camera's people list after it (and the camera's discovery, if new).</summary>
    public void Accept(IdentityEvent identityEvent)
    {
        ArgumentNullException.ThrowIfNull(identityEvent);
        AnnounceIfNew(identityEvent.Camera);
        var people = _presence.Apply(identityEvent);
        var messages = new List<MqttApplicationMessage>(_messages.ForEvent(identityEvent, people));
        if (_people.Apply(identityEvent) is { } person)
        {
            messages.Add(_messages.Person(person));
        }

        _outbox.Enqueue(messages);
    }

    /// <summary>A camera went online or offline: queues its status (and its discovery, if new).</summary>
    public void CameraStatusChanged(CameraHealth health)
    {
        ArgumentNullException.ThrowIfNull(health);
        AnnounceIfNew(health.Camera);
        _outbox.Enqueue([_messages.CameraStatus(health.Camera, health.Online)]);
    }

    private void AnnounceIfNew(string camera)
    {
        bool added;
        lock (_announcedGate)
        {
            added = _announced.Add(camera);
        }

        if (added && _discovery.Enabled)
        {
            _outbox.Enqueue(_discovery.Configs(camera));
        }
    }
}
