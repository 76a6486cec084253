using System.Text.Json;
using MQTTnet;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Pipeline.Publishing;

/// <summary>Per-person presence and the strangers of each camera: their messages and Home Assistant configs.</summary>
public sealed partial class MqttMessageFactory
{
    /// <summary>The binary sensor's state payloads: <c>ON</c> while someone unknown (not an ignored stranger) is in view of the camera.</summary>
    public const string On = "ON";

    public const string Off = "OFF";

    /// <summary><c>&lt;prefix&gt;/people/&lt;person&gt;</c>, retained JSON.</summary>
    public MqttApplicationMessage Person(PersonState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Build(Topics.Person(state.Name), JsonSerializer.SerializeToUtf8Bytes(state, MqttJsonContext.Default.PersonState), retain: true);
    }

    /// <summary><c>&lt;prefix&gt;/&lt;camera&gt;/unknown</c>: a stranger arrived (not retained), for Home Assistant's event entity; never for an ignored one.</summary>
    public MqttApplicationMessage UnknownArrival(IdentityEvent identityEvent)
    {
        ArgumentNullException.ThrowIfNull(identityEvent);
        var sighting = new UnknownSighting(
            IdentityMatchUnknown, identityEvent.EventId, identityEvent.Camera, identityEvent.TrackId, identityEvent.Confidence,
            identityEvent.Nearest, identityEvent.Similarity, identityEvent.Timestamp);
        return Build(Topics.Unknown(identityEvent.Camera), JsonSerializer.SerializeToUtf8Bytes(sighting, MqttJsonContext.Default.UnknownSighting), retain: false);
    }

    /// <summary>Both Home Assistant discovery configs of a person (presence, last camera), retained.</summary>
    public IReadOnlyList<MqttApplicationMessage> PersonDiscovery(string person) =>
    [
        Build(Topics.DiscoveryPresence(person), JsonSerializer.SerializeToUtf8Bytes(PresenceConfig(person), MqttJsonContext.Default.HaBinarySensorConfig), retain: true),
        Build(Topics.DiscoveryPersonCamera(person), JsonSerializer.SerializeToUtf8Bytes(PersonCameraConfig(person), MqttJsonContext.Default.HaSensorConfig), retain: true),
    ];

    /// <summary>Empty retained messages for a person no longer enrolled: the configs (with <paramref name="discovery"/>) and the state.</summary>
    public IReadOnlyList<MqttApplicationMessage> ClearPerson(string person, bool discovery) =>
        discovery
            ? [ClearRetained(Topics.DiscoveryPresence(person)), ClearRetained(Topics.DiscoveryPersonCamera(person)), ClearRetained(Topics.Person(person))]
            : [ClearRetained(Topics.Person(person))];

    /// <summary>A camera's "stranger in view" binary sensor, read from its people list.</summary>
    public HaBinarySensorConfig StrangerConfig(string camera) => new()
    {
        Name = "Stranger in view",
        UniqueId = Topics.UniqueId(camera, "stranger"),
        StateTopic = Topics.People(camera),
        // Ignored strangers (issue 15: name "ignored", not known) are in the list but are nobody to warn about.
        ValueTemplate = "{{ 'ON' if (value_json | selectattr('known', 'equalto', false) | rejectattr('name', 'equalto', 'ignored') | list | count) > 0 else 'OFF' }}",
        PayloadOn = On,
        PayloadOff = Off,
        DeviceClass = "occupancy",
        Availability = Availability(camera),
        Icon = "mdi:account-question",
        Qos = (int)_qos,
        Device = Device(camera),
        Origin = FaceWatchOrigin,
    };

    /// <summary>A camera's event entity: one <c>unknown</c> event per stranger's arrival.</summary>
    public HaEventConfig UnknownEventConfig(string camera) => new()
    {
        Name = "Stranger",
        UniqueId = Topics.UniqueId(camera, "unknown"),
        StateTopic = Topics.Unknown(camera),
        EventTypes = [IdentityMatchUnknown],
        Availability = Availability(camera),
        Icon = "mdi:account-alert",
        Qos = (int)_qos,
        Device = Device(camera),
        Origin = FaceWatchOrigin,
    };

    /// <summary>A person's presence: on while <c>state</c> is <c>present</c>, the state's other fields as attributes.</summary>
    public HaBinarySensorConfig PresenceConfig(string person) => new()
    {
        Name = "Presence",
        UniqueId = Topics.PersonUniqueId(person, "presence"),
        StateTopic = Topics.Person(person),
        ValueTemplate = "{{ value_json.state }}",
        PayloadOn = PresenceStates.Present,
        PayloadOff = PresenceStates.Away,
        DeviceClass = "presence",
        JsonAttributesTopic = Topics.Person(person),
        Availability = [new(Topics.Status)],
        Icon = "mdi:account",
        Qos = (int)_qos,
        Device = PersonDevice(person),
        Origin = FaceWatchOrigin,
    };

    /// <summary>A person's last camera (<c>none</c> before the first sighting since start), last seen and confidence as attributes.</summary>
    public HaSensorConfig PersonCameraConfig(string person) => new()
    {
        Name = "Last camera",
        UniqueId = Topics.PersonUniqueId(person, "camera"),
        StateTopic = Topics.Person(person),
        ValueTemplate = "{{ value_json.camera or 'none' }}",
        JsonAttributesTopic = Topics.Person(person),
        Availability = [new(Topics.Status)],
        Icon = "mdi:cctv",
        Qos = (int)_qos,
        Device = PersonDevice(person),
        Origin = FaceWatchOrigin,
    };

    /// <summary>What this instance publishes under each discovery topic of a camera: what the cleanup compares a retained config with.</summary>
    public IReadOnlyDictionary<string, HaConfigProbe> CameraConfigProbes(string camera) => new Dictionary<string, HaConfigProbe>(StringComparer.Ordinal)
    {
        [Topics.DiscoveryLastPerson(camera)] = Probe(LastPersonConfig(camera)),
        [Topics.DiscoveryPeople(camera)] = Probe(PeopleConfig(camera)),
        [Topics.DiscoveryStranger(camera)] = Probe(StrangerConfig(camera)),
        [Topics.DiscoveryUnknownEvent(camera)] = Probe(UnknownEventConfig(camera)),
    };

    /// <summary>What this instance publishes under each discovery topic of a person.</summary>
    public IReadOnlyDictionary<string, HaConfigProbe> PersonConfigProbes(string person) => new Dictionary<string, HaConfigProbe>(StringComparer.Ordinal)
    {
        [Topics.DiscoveryPresence(person)] = Probe(PresenceConfig(person)),
        [Topics.DiscoveryPersonCamera(person)] = Probe(PersonCameraConfig(person)),
    };

    private const string IdentityMatchUnknown = Identification.IdentityMatch.Unknown;

    private HaDevice PersonDevice(string person) =>
        new([Topics.PersonDeviceId(person)], person, "FaceWatch", PersonModel, Version, InstanceId);

    private static HaConfigProbe Probe(IHaEntityConfig c) => new() { UniqueId = c.UniqueId, StateTopic = c.StateTopic, JsonAttributesTopic = c.JsonAttributesTopic, Availability = c.Availability, Device = c.Device };
}
