using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace FaceWatch.Cluster;

/// <summary>The cluster's two KV buckets, opened (or created) on a NATS connection.</summary>
public sealed record ClusterBuckets(ILeaseStore Leases, ILeaseStore Nodes)
{
    /// <summary>
    /// Creates the buckets when missing: <c>facewatch-leases</c> with MaxAge = <see cref="ClusterOptions.LeaseSeconds"/>
    /// and <c>facewatch-nodes</c> with MaxAge = <see cref="ClusterOptions.NodeTtlSeconds"/>, history 1, file storage,
    /// <see cref="ClusterNatsOptions.Replicas"/> replicas. An existing lease bucket with another MaxAge fails: fencing is
    /// only safe when every node fences before the store lets others claim, so all nodes must use the same lease.
    /// </summary>
    public static async Task<ClusterBuckets> OpenAsync(INatsConnection connection, ClusterOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var kv = new NatsKVContext(new NatsJSContext(connection));
        var url = NatsUrl.Redact(connection.Opts.Url);
        var leases = await OpenAsync(kv, ClusterKeys.LeaseBucket, options.Lease, options.Nats.Replicas, "Cluster:LeaseSeconds", cancellationToken).ConfigureAwait(false);
        Log.BucketReady(logger, ClusterKeys.LeaseBucket, options.LeaseSeconds, options.Nats.Replicas, url);
        var nodes = await OpenAsync(kv, ClusterKeys.NodeBucket, options.NodeTtl, options.Nats.Replicas, "Cluster:NodeTtlSeconds", cancellationToken).ConfigureAwait(false);
        Log.BucketReady(logger, ClusterKeys.NodeBucket, options.NodeTtlSeconds, options.Nats.Replicas, url);
        return new ClusterBuckets(new NatsKvLeaseStore(leases), new NatsKvLeaseStore(nodes));
    }

    private static async Task<INatsKVStore> OpenAsync(NatsKVContext kv, string bucket, TimeSpan maxAge, int replicas, string key, CancellationToken cancellationToken)
    {
        INatsKVStore store;
        try
        {
            store = await kv.GetStoreAsync(bucket, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            store = await kv.CreateStoreAsync(
                new NatsKVConfig(bucket)
                {
                    History = 1,
                    MaxAge = maxAge,
                    Storage = NatsKVStorageType.File,
                    NumberOfReplicas = replicas,
                    Description = "FaceWatch cluster mode",
                },
                cancellationToken).ConfigureAwait(false);
        }

        var status = await store.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var actual = status.Info.Config.MaxAge;
        if (actual != maxAge)
        {
            throw new InvalidOperationException(
                $"{key} is {maxAge.TotalSeconds:0.###} s but the cluster's bucket '{bucket}' expires entries after {actual.TotalSeconds:0.###} s: every node of a cluster must use the same {key}.");
        }

        return store;
    }
}
