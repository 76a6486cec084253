using System.Reflection;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Pipeline.Publishing;

/// <summary>Turns events and state into MQTT messages: topic, payload, QoS and retain flag of each kind in one place.</summary>
public sealed partial class MqttMessageFactory
{
    private static readonly string Version =
        (Assembly.GetEntryAssembly() ?? typeof(MqttMessageFactory).Assembly)
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    // The same for every config this process sends.
    private static readonly HaOrigin FaceWatchOrigin = new("FaceWatch", Version);

    private readonly MqttQualityOfServiceLevel _qos;
    private readonly bool _snapshots;

    public MqttMessageFactory(MqttTopics topics, MqttQualityOfServiceLevel qos, bool snapshots, string instanceId = "facewatch")
    {
        Topics = topics ?? throw new ArgumentNullException(nameof(topics));
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        _qos = qos;
        _snapshots = snapshots;
        InstanceId = instanceId;
    }

    public MqttTopics Topics { get; }

    /// <summary>Who publishes: written into every discovery config (<c>device.serial_number</c>) and checked before deleting one.</summary>
    public string InstanceId { get; }

    /// <summary>The device model of a camera and of a person: the cleanup tells them apart by it.</summary>
    public const string CameraModel = "FaceWatch camera";

    public const string PersonModel = "FaceWatch person";

    /// <summary>The device name of a camera; the cleanup reads the camera back from it.</summary>
    public const string DeviceNamePrefix = "FaceWatch ";

    /// <summary><c>&lt;prefix&gt;/status</c>, retained (also the last will with <c>offline</c>).</summary>
    public MqttApplicationMessage Status(bool online) =>
        Build(Topics.Status, online ? MqttPayloadValues.Online : MqttPayloadValues.Offline, retain: true);

    /// <summary><c>&lt;prefix&gt;/&lt;camera&gt;/status</c>, retained.</summary>
    public MqttApplicationMessage CameraStatus(string camera, bool online) =>
        Build(Topics.CameraStatus(camera), online ? MqttPayloadValues.Online : MqttPayloadValues.Offline, retain: true);

    /// <summary>The event (not retained), the camera's people list after it (retained) and, on arrival, the face JPEG when enabled.</summary>
    public IReadOnlyList<MqttApplicationMessage> ForEvent(IdentityEvent identityEvent, PersonInView[] peopleAfter)
    {
        ArgumentNullException.ThrowIfNull(identityEvent);
        var messages = new List<MqttApplicationMessage>(3)
        {
            Build(Topics.Events(identityEvent.Camera), JsonSerializer.SerializeToUtf8Bytes(identityEvent, IdentityEventJsonContext.Default.IdentityEvent), retain: false),
        };
        messages.Add(People(identityEvent.Camera, peopleAfter));
        if (identityEvent is { Event: IdentityEventKind.Arrived, Known: false } && identityEvent.Name != Identification.IdentityMatch.Ignored)
        {
            messages.Add(UnknownArrival(identityEvent));
        }

        if (_snapshots && identityEvent.Event == IdentityEventKind.Arrived && identityEvent.FaceJpeg is { Length: > 0 } jpeg)
        {
            messages.Add(Build(Topics.Snapshot(identityEvent.Camera), jpeg, retain: false));
        }

        return messages;
    }

    /// <summary><c>&lt;prefix&gt;/&lt;camera&gt;/people</c>, retained JSON array.</summary>
    public MqttApplicationMessage People(string camera, PersonInView[] people) =>
        Build(Topics.People(camera), JsonSerializer.SerializeToUtf8Bytes(people, MqttJsonContext.Default.PersonInViewArray), retain: true);

    /// <summary>Every Home Assistant discovery config of a camera, retained: two sensors, the stranger binary sensor, the stranger event.</summary>
    public IReadOnlyList<MqttApplicationMessage> Discovery(string camera) =>
    [
        Build(Topics.DiscoveryLastPerson(camera), JsonSerializer.SerializeToUtf8Bytes(LastPersonConfig(camera), MqttJsonContext.Default.HaSensorConfig), retain: true),
        Build(Topics.DiscoveryPeople(camera), JsonSerializer.SerializeToUtf8Bytes(PeopleConfig(camera), MqttJsonContext.Default.HaSensorConfig), retain: true),
        Build(Topics.DiscoveryStranger(camera), JsonSerializer.SerializeToUtf8Bytes(StrangerConfig(camera), MqttJsonContext.Default.HaBinarySensorConfig), retain: true),
        Build(Topics.DiscoveryUnknownEvent(camera), JsonSerializer.SerializeToUtf8Bytes(UnknownEventConfig(camera), MqttJsonContext.Default.HaEventConfig), retain: true),
    ];

    /// <summary>An empty retained message: deletes a retained config or state topic on the broker (and the entity in Home Assistant).</summary>
    public MqttApplicationMessage ClearRetained(string topic) => Build(topic, [], retain: true);

    public HaSensorConfig LastPersonConfig(string camera) =>
        SensorConfig(camera, "Last person", "last_person", Topics.Events(camera), "{{ value_json.name }}", "mdi:face-recognition");

    public HaSensorConfig PeopleConfig(string camera) =>
        SensorConfig(camera, "People in view", "people", Topics.People(camera), "{{ value_json | count }}", "mdi:account-group") with
        {
            // attributes must be an object; the topic holds a list
            JsonAttributesTemplate = "{{ {'people': value_json} | tojson }}",
            UnitOfMeasurement = "people",
            StateClass = "measurement",
        };

    /// <summary>What both sensors of a camera share; the state topic is also the attributes topic.</summary>
    private HaSensorConfig SensorConfig(string camera, string name, string sensor, string stateTopic, string valueTemplate, string icon) => new()
    {
        Name = name,
        UniqueId = Topics.UniqueId(camera, sensor),
        StateTopic = stateTopic,
        ValueTemplate = valueTemplate,
        JsonAttributesTopic = stateTopic,
        Availability = Availability(camera),
        Icon = icon,
        Qos = (int)_qos,
        Device = Device(camera),
        Origin = FaceWatchOrigin,
    };

    private HaAvailability[] Availability(string camera) => [new(Topics.Status), new(Topics.CameraStatus(camera))];

    private HaDevice Device(string camera) =>
        new([Topics.DeviceId(camera)], DeviceNamePrefix + camera, "FaceWatch", CameraModel, Version, InstanceId);

    private MqttApplicationMessage Build(string topic, string payload, bool retain) =>
        Build(topic, System.Text.Encoding.UTF8.GetBytes(payload), retain);

    private MqttApplicationMessage Build(string topic, byte[] payload, bool retain) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(_qos)
            .WithRetainFlag(retain)
            .Build();
}
