using System.Text.Json.Serialization;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Pipeline.Publishing;

/// <summary>One entry of <c>&lt;prefix&gt;/&lt;camera&gt;/people</c>: someone in view now.</summary>
public sealed record PersonInView(string Name, long TrackId, bool Known, double Confidence, DateTimeOffset Since);

/// <summary>Home Assistant's <c>availability</c> entry.</summary>
public sealed record HaAvailability(
    [property: JsonPropertyName("topic")] string Topic,
    [property: JsonPropertyName("payload_available")] string PayloadAvailable = MqttPayloadValues.Online,
    [property: JsonPropertyName("payload_not_available")] string PayloadNotAvailable = MqttPayloadValues.Offline);

/// <summary>
/// Home Assistant's <c>device</c> block: one device per camera. <see cref="SerialNumber"/> is the instance id of the
/// FaceWatch that published it (its MQTT client id): the start-up cleanup deletes only configs that carry its own.
/// </summary>
public sealed record HaDevice(
    [property: JsonPropertyName("identifiers")] IReadOnlyList<string> Identifiers,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("manufacturer")] string Manufacturer,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("sw_version")] string SwVersion,
    [property: JsonPropertyName("serial_number"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SerialNumber = null);

/// <summary>Home Assistant's <c>origin</c> block (who published the discovery config).</summary>
public sealed record HaOrigin(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("sw_version")] string SwVersion);

/// <summary>What every discovery config of this instance has, whatever its entity kind: what the start-up cleanup compares.</summary>
public interface IHaEntityConfig
{
    string UniqueId { get; }

    string StateTopic { get; }

    /// <summary>Null where the entity kind has no attributes topic (an event entity).</summary>
    string? JsonAttributesTopic => null;

    IReadOnlyList<HaAvailability> Availability { get; }

    HaDevice Device { get; }
}

/// <summary>A Home Assistant MQTT discovery config of one sensor (keys are Home Assistant's, snake_case).</summary>
public sealed record HaSensorConfig : IHaEntityConfig
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("unique_id")] public required string UniqueId { get; init; }
    [JsonPropertyName("state_topic")] public required string StateTopic { get; init; }
    [JsonPropertyName("value_template")] public required string ValueTemplate { get; init; }
    [JsonPropertyName("json_attributes_topic")] public required string JsonAttributesTopic { get; init; }
    [JsonPropertyName("json_attributes_template"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? JsonAttributesTemplate { get; init; }
    [JsonPropertyName("availability")] public required IReadOnlyList<HaAvailability> Availability { get; init; }
    [JsonPropertyName("availability_mode")] public string AvailabilityMode { get; init; } = "all";
    [JsonPropertyName("icon")] public required string Icon { get; init; }
    [JsonPropertyName("unit_of_measurement"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? UnitOfMeasurement { get; init; }
    [JsonPropertyName("state_class"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? StateClass { get; init; }
    [JsonPropertyName("qos")] public int Qos { get; init; }
    [JsonPropertyName("device")] public required HaDevice Device { get; init; }
    [JsonPropertyName("origin")] public required HaOrigin Origin { get; init; }
}

/// <summary>A Home Assistant discovery config of one binary sensor (a person's presence, a camera's stranger in view).</summary>
public sealed record HaBinarySensorConfig : IHaEntityConfig
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("unique_id")] public required string UniqueId { get; init; }
    [JsonPropertyName("state_topic")] public required string StateTopic { get; init; }
    [JsonPropertyName("value_template")] public required string ValueTemplate { get; init; }
    [JsonPropertyName("payload_on")] public required string PayloadOn { get; init; }
    [JsonPropertyName("payload_off")] public required string PayloadOff { get; init; }
    [JsonPropertyName("device_class")] public required string DeviceClass { get; init; }
    [JsonPropertyName("json_attributes_topic"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? JsonAttributesTopic { get; init; }
    [JsonPropertyName("availability")] public required IReadOnlyList<HaAvailability> Availability { get; init; }
    [JsonPropertyName("availability_mode")] public string AvailabilityMode { get; init; } = "all";
    [JsonPropertyName("icon")] public required string Icon { get; init; }
    [JsonPropertyName("qos")] public int Qos { get; init; }
    [JsonPropertyName("device")] public required HaDevice Device { get; init; }
    [JsonPropertyName("origin")] public required HaOrigin Origin { get; init; }
}

/// <summary>A Home Assistant discovery config of an <c>event</c> entity (a camera's strangers).</summary>
public sealed record HaEventConfig : IHaEntityConfig
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("unique_id")] public required string UniqueId { get; init; }
    [JsonPropertyName("state_topic")] public required string StateTopic { get; init; }
    [JsonPropertyName("event_types")] public required IReadOnlyList<string> EventTypes { get; init; }
    [JsonPropertyName("availability")] public required IReadOnlyList<HaAvailability> Availability { get; init; }
    [JsonPropertyName("availability_mode")] public string AvailabilityMode { get; init; } = "all";
    [JsonPropertyName("icon")] public required string Icon { get; init; }
    [JsonPropertyName("qos")] public int Qos { get; init; }
    [JsonPropertyName("device")] public required HaDevice Device { get; init; }
    [JsonPropertyName("origin")] public required HaOrigin Origin { get; init; }
}

/// <summary>
/// What the start-up cleanup reads of any retained discovery config (every key optional): enough to tell whether this
/// instance published it, and for which camera or person.
/// </summary>
public sealed record HaConfigProbe
{
    [JsonPropertyName("unique_id")] public string? UniqueId { get; init; }
    [JsonPropertyName("state_topic")] public string? StateTopic { get; init; }
    [JsonPropertyName("json_attributes_topic")] public string? JsonAttributesTopic { get; init; }
    [JsonPropertyName("availability")] public IReadOnlyList<HaAvailability>? Availability { get; init; }
    [JsonPropertyName("device")] public HaDevice? Device { get; init; }
}

/// <summary>One message of <c>&lt;prefix&gt;/&lt;camera&gt;/unknown</c>: a stranger arrived (Home Assistant's event entity reads <c>event_type</c>).</summary>
public sealed record UnknownSighting(
    [property: JsonPropertyName("event_type")] string EventType,
    [property: JsonPropertyName("eventId")] string EventId,
    [property: JsonPropertyName("camera")] string Camera,
    [property: JsonPropertyName("trackId")] long TrackId,
    [property: JsonPropertyName("confidence")] double Confidence,
    [property: JsonPropertyName("nearest")] string? Nearest,
    [property: JsonPropertyName("similarity")] double? Similarity,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp);

/// <summary>Plain-text payloads of the status topics.</summary>
public static class MqttPayloadValues
{
    public const string Online = "online";
    public const string Offline = "offline";
}

/// <summary>
/// The serializer of the MQTT-only payloads (people lists, Home Assistant configs), with the options of
/// <see cref="IdentityEventJsonContext"/>, which serialises the events (camelCase for ours; HA keys are named explicitly).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(PersonInView[]))]
[JsonSerializable(typeof(HaSensorConfig))]
[JsonSerializable(typeof(HaBinarySensorConfig))]
[JsonSerializable(typeof(HaEventConfig))]
[JsonSerializable(typeof(HaConfigProbe))]
[JsonSerializable(typeof(PersonState))]
[JsonSerializable(typeof(UnknownSighting))]
public sealed partial class MqttJsonContext : JsonSerializerContext;
