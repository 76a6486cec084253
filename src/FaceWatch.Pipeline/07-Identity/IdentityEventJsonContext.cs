using System.Text.Json.Serialization;

namespace FaceWatch.Pipeline.Identity;

/// <summary>
/// The one JSON contract of <see cref="IdentityEvent"/>, for every reader: the MQTT <c>events</c> payload, the web
/// view's <c>/api/events</c> and its server-sent events. Keys are camelCase; every field is always written, a field
/// that does not apply to the event (<c>durationSeconds</c> on <c>arrived</c>, <c>nearest</c> on <c>left</c>, ...)
/// as an explicit <c>null</c>, so a consumer sees the same keys on every event (docs/mqtt.md).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(IdentityEvent))]
[JsonSerializable(typeof(IReadOnlyList<IdentityEvent>))]
public sealed partial class IdentityEventJsonContext : JsonSerializerContext;
