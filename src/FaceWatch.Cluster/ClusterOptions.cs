namespace FaceWatch.Cluster;

/// <summary>
/// Cluster mode (config section <c>Cluster</c>). Off unless <see cref="ClusterNatsOptions.Url"/> is set: a single box
/// needs nothing new. Every node of a cluster must use the same <see cref="LeaseSeconds"/> (the lease bucket's max age).
/// </summary>
public sealed class ClusterOptions
{
    public const string SectionName = "Cluster";

    public ClusterNatsOptions Nats { get; set; } = new();

    /// <summary>This node's name, unique in the cluster. Default: the host name.</summary>
    public string Node { get; set; } = Environment.MachineName;

    /// <summary>The site this node serves cameras of; cameras are spread over the live nodes of their site only.</summary>
    public string Site { get; set; } = "default";

    /// <summary>Relative weight in camera assignment: a node of capacity 2 gets about twice the cameras of one of capacity 1.</summary>
    public double Capacity { get; set; } = 1;

    /// <summary>
    /// A camera lease lives this long without renewal (the lease bucket's max age). The owner renews every third of it
    /// and stops its cameras by itself after two thirds without a successful renewal.
    /// </summary>
    public double LeaseSeconds { get; set; } = 15;

    /// <summary>How often the node writes its registry entry. Must be below a third of <see cref="LeaseSeconds"/>.</summary>
    public double HeartbeatSeconds { get; set; } = 3;

    /// <summary>A node's registry entry expires this long after its last heartbeat (the node bucket's max age).</summary>
    public double NodeTtlSeconds { get; set; } = 10;

    /// <summary>Cluster mode is on when a NATS URL is set.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Nats.Url);

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    public TimeSpan Heartbeat => TimeSpan.FromSeconds(HeartbeatSeconds);

    public TimeSpan NodeTtl => TimeSpan.FromSeconds(NodeTtlSeconds);

    /// <summary>A held lease is renewed once this much has passed since its last successful write (a third of the lease).</summary>
    public TimeSpan RenewEvery => Lease / 3;

    /// <summary>
    /// The owner stops owning this long after the send time of its last successful write (two thirds of the lease), a
    /// third of the lease before the store may let anyone else claim, which absorbs clock-rate differences and delivery delay.
    /// </summary>
    public TimeSpan FenceAfter => Lease * 2 / 3;
}

/// <summary>Connection to NATS (<c>Cluster:Nats</c>).</summary>
public sealed class ClusterNatsOptions
{
    /// <summary>
    /// One or more server URLs, comma separated (<c>nats://10.0.0.5:4222,nats://10.0.0.6:4222</c>); may carry
    /// <c>user:password@</c>, which is never logged (see <see cref="NatsUrl.Redact"/>).
    /// </summary>
    public string? Url { get; set; }

    /// <summary>Replicas of the cluster's key-value buckets: 1 on a single server, 3 (or 5) on a JetStream cluster.</summary>
    public int Replicas { get; set; } = 1;
}
