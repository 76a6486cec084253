using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceWatch.Cluster;

/// <summary>
/// The value of a camera's lease key. <see cref="Epoch"/> is the revision of the write that claimed the lease (0 in
/// that claiming write itself, which cannot know its own revision: readers then take the entry's revision).
/// <see cref="Instance"/> tells this process from an earlier one of the same node name.
/// </summary>
public sealed record LeaseValue(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("site")] string Site,
    [property: JsonPropertyName("camera")] string Camera,
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("epoch")] ulong Epoch,
    [property: JsonPropertyName("renewedUtc")] DateTimeOffset RenewedUtc,
    [property: JsonPropertyName("leaseSeconds")] double LeaseSeconds)
{
    /// <summary>The ownership epoch of an entry holding this value at <paramref name="revision"/>.</summary>
    public ulong EpochAt(ulong revision) => Epoch == 0 ? revision : Epoch;
}

/// <summary>A node's registry entry, rewritten every heartbeat.</summary>
public sealed record NodeInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("site")] string Site,
    [property: JsonPropertyName("capacity")] double Capacity,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("galleryVersion")] string? GalleryVersion,
    [property: JsonPropertyName("heartbeatUtc")] DateTimeOffset HeartbeatUtc,
    [property: JsonPropertyName("instance")] string Instance);

/// <summary>Every payload of the cluster's buckets, serialised by source generation (no reflection).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(LeaseValue))]
[JsonSerializable(typeof(NodeInfo))]
internal sealed partial class ClusterJsonContext : JsonSerializerContext
{
    public static byte[] Serialize(LeaseValue value) => JsonSerializer.SerializeToUtf8Bytes(value, Default.LeaseValue);

    public static byte[] Serialize(NodeInfo value) => JsonSerializer.SerializeToUtf8Bytes(value, Default.NodeInfo);

    /// <summary>The value, or null when the bytes are not one (a foreign or corrupt entry is treated as someone else's).</summary>
    public static LeaseValue? ReadLease(ReadOnlyMemory<byte> bytes) => Read(bytes, Default.LeaseValue);

    public static NodeInfo? ReadNode(ReadOnlyMemory<byte> bytes) => Read(bytes, Default.NodeInfo);

    private static T? Read<T>(ReadOnlyMemory<byte> bytes, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(bytes.Span, info);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
