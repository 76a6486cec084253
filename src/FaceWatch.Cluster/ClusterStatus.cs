using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace FaceWatch.Cluster;

/// <summary>One node as the registry holds it; <see cref="HeartbeatAge"/> compares its heartbeat time with the reader's clock (display only).</summary>
public sealed record NodeStatus(string Name, string Site, double Capacity, string Version, string? GalleryVersion, DateTimeOffset HeartbeatUtc, TimeSpan HeartbeatAge);

/// <summary>One camera: its lease holder and epoch, or no owner (null) when nobody holds a lease.</summary>
public sealed record CameraStatus(string Name, string Site, string? Owner, ulong? Epoch);

/// <summary>What the cluster's buckets say, sorted by site then name.</summary>
public sealed record ClusterStatusReport(IReadOnlyList<NodeStatus> Nodes, IReadOnlyList<CameraStatus> Cameras);

/// <summary>
/// Reads the cluster's state from its KV buckets (not from any process): every node of the registry and every camera
/// lease, of every site. Cameras known from the configuration but without a lease are listed with no owner. Buckets
/// that do not exist yet read as empty; nothing is created.
/// </summary>
public static class ClusterStatus
{
    /// <summary>Opens the buckets read-only on <paramref name="connection"/> (missing ones: empty) and reads them.</summary>
    public static async Task<ClusterStatusReport> ReadAsync(
        INatsConnection connection, string site, IEnumerable<string> configuredCameras, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var kv = new NatsKVContext(new NatsJSContext(connection));
        var leases = await OpenAsync(kv, ClusterKeys.LeaseBucket, cancellationToken).ConfigureAwait(false);
        var nodes = await OpenAsync(kv, ClusterKeys.NodeBucket, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(leases, nodes, site, configuredCameras, time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads both stores (null: no bucket yet); an unavailable store throws <see cref="InvalidOperationException"/> naming it.</summary>
    public static async Task<ClusterStatusReport> ReadAsync(
        ILeaseStore? leases, ILeaseStore? nodes, string site, IEnumerable<string> configuredCameras, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(configuredCameras);
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow();
        var nodeList = new List<NodeStatus>();
        foreach (var entry in await ListAsync(nodes, "node.", ClusterKeys.NodeBucket, cancellationToken).ConfigureAwait(false))
        {
            if (ClusterJsonContext.ReadNode(entry.Value) is { } n)
            {
                nodeList.Add(new NodeStatus(n.Name, n.Site, n.Capacity, n.Version, n.GalleryVersion, n.HeartbeatUtc, now - n.HeartbeatUtc));
            }
        }

        var cameras = new Dictionary<(string Site, string Name), CameraStatus>();
        foreach (var entry in await ListAsync(leases, "camera.", ClusterKeys.LeaseBucket, cancellationToken).ConfigureAwait(false))
        {
            var parts = entry.Key.Split('.');
            if (parts.Length != 3)
            {
                continue;
            }

            var value = ClusterJsonContext.ReadLease(entry.Value);
            var camera = new CameraStatus(ClusterKeys.Decode(parts[2]), ClusterKeys.Decode(parts[1]), value?.Node, value?.EpochAt(entry.Revision) ?? entry.Revision);
            cameras[(camera.Site, camera.Name)] = camera;
        }

        foreach (var name in configuredCameras.Where(n => !string.IsNullOrEmpty(n)))
        {
            cameras.TryAdd((site, name), new CameraStatus(name, site, null, null));
        }

        return new ClusterStatusReport(
            [.. nodeList.OrderBy(n => n.Site, StringComparer.Ordinal).ThenBy(n => n.Name, StringComparer.Ordinal)],
            [.. cameras.Values.OrderBy(c => c.Site, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal)]);
    }

    private static async Task<IReadOnlyList<StoreEntry>> ListAsync(ILeaseStore? store, string prefix, string bucket, CancellationToken cancellationToken)
    {
        if (store is null)
        {
            return [];
        }

        var list = await store.ListAsync(prefix, cancellationToken).ConfigureAwait(false);
        return list.Status == StoreStatus.Ok ? list.Entries : throw new InvalidOperationException($"reading the bucket '{bucket}' failed: {list.Error}");
    }

    private static async Task<ILeaseStore?> OpenAsync(NatsKVContext kv, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            return new NatsKvLeaseStore(await kv.GetStoreAsync(bucket, cancellationToken).ConfigureAwait(false));
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return null;
        }
    }
}
