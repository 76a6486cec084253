using Microsoft.Extensions.Logging;

namespace FaceWatch.Cluster;

/// <summary>
/// The cluster's node list: each node writes <see cref="NodeInfo"/> under <c>node.&lt;site&gt;.&lt;node&gt;</c> every
/// heartbeat (compare-and-swap on its own revision, so a second process with the same name is noticed), and the
/// bucket's MaxAge (<see cref="ClusterOptions.NodeTtlSeconds"/>) drops a node that stopped beating. Independently of the
/// server's expiry, an entry whose revision this node has seen unchanged for the TTL on its own clock counts as dead.
/// Heartbeat timestamps are never compared with the local clock, so the nodes' clocks need not agree.
/// </summary>
public sealed class NodeRegistry
{
    private readonly ILeaseStore _store;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _key;
    private readonly Dictionary<string, (ulong Revision, long Since)> _seen = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private ulong _revision;
    private bool _failing;
    private bool _registered;

    public NodeRegistry(ILeaseStore store, ClusterOptions options, TimeProvider time, ILogger<NodeRegistry> logger, string version)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(version);
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
        Version = version;
        _key = ClusterKeys.Node(options.Site, options.Node);
    }

    public string Instance { get; } = Guid.NewGuid().ToString("N");

    public string Version { get; }

    /// <summary>The gallery version this node runs, reported with the next heartbeat.</summary>
    public string? GalleryVersion { get; set; }

    /// <summary>Writes this node's entry now; false when the store did not take it.</summary>
    public async Task<bool> HeartbeatAsync(CancellationToken cancellationToken)
    {
        var info = new NodeInfo(_options.Node, _options.Site, _options.Capacity, Version, GalleryVersion, _time.GetUtcNow(), Instance);
        var value = ClusterJsonContext.Serialize(info);
        var write = _revision == 0
            ? await _store.CreateAsync(_key, value, cancellationToken).ConfigureAwait(false)
            : await _store.UpdateAsync(_key, value, _revision, cancellationToken).ConfigureAwait(false);
        if (write.Status == StoreStatus.RevisionMismatch)
        {
            // expired (we were silent too long), or another process wrote under our name: read what is there, then take it
            var read = await _store.GetAsync(_key, cancellationToken).ConfigureAwait(false);
            if (read.Entry is { } entry)
            {
                if (ClusterJsonContext.ReadNode(entry.Value) is { } other && other.Instance != Instance)
                {
                    Log.DuplicateNode(_logger, _options.Node, _options.Site, other.Instance, Instance);
                }

                write = await _store.UpdateAsync(_key, value, entry.Revision, cancellationToken).ConfigureAwait(false);
            }
            else if (read.Status == StoreStatus.NotFound)
            {
                write = await _store.CreateAsync(_key, value, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                write = StoreWrite.Unavailable(read.Error ?? "unavailable");
            }
        }

        if (!write.Ok)
        {
            _revision = write.Status == StoreStatus.RevisionMismatch ? 0 : _revision;
            if (!_failing)
            {
                _failing = true;
                Log.HeartbeatFailing(_logger, _options.Node, write.Error ?? write.Status.ToString());
            }

            return false;
        }

        _revision = write.Revision;
        if (_failing)
        {
            _failing = false;
            Log.HeartbeatRecovered(_logger, _options.Node);
        }

        if (!_registered)
        {
            _registered = true;
            Log.NodeRegistered(_logger, _options.Node, _options.Site, _options.Capacity);
        }

        return true;
    }

    /// <summary>Beats every <see cref="ClusterOptions.HeartbeatSeconds"/> until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.Heartbeat, _time);
        try
        {
            do
            {
                await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Removes this node's entry (graceful stop), so the others reassign its cameras without waiting for the TTL.</summary>
    public async Task UnregisterAsync(CancellationToken cancellationToken)
    {
        if (_revision == 0)
        {
            return;
        }

        var delete = await _store.DeleteAsync(_key, _revision, cancellationToken).ConfigureAwait(false);
        _revision = 0;
        _registered = false;
        if (delete.Ok)
        {
            Log.NodeUnregistered(_logger, _options.Node);
        }
    }

    /// <summary>The live nodes of <paramref name="site"/>, by name; null when the store did not answer.</summary>
    public async Task<IReadOnlyList<NodeInfo>?> LiveNodesAsync(string site, CancellationToken cancellationToken)
    {
        var list = await _store.ListAsync(ClusterKeys.NodePrefix(site), cancellationToken).ConfigureAwait(false);
        if (list.Status != StoreStatus.Ok)
        {
            return null;
        }

        var live = new List<NodeInfo>();
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            foreach (var entry in list.Entries)
            {
                if (!_seen.TryGetValue(entry.Key, out var seen) || seen.Revision != entry.Revision)
                {
                    _seen[entry.Key] = seen = (entry.Revision, now);
                }

                if (_time.GetElapsedTime(seen.Since, now) < _options.NodeTtl && ClusterJsonContext.ReadNode(entry.Value) is { } node && node.Site == site)
                {
                    live.Add(node);
                }
            }

            var prefix = ClusterKeys.NodePrefix(site);
            foreach (var gone in _seen.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && list.Entries.All(e => e.Key != k)).ToList())
            {
                _seen.Remove(gone);
            }
        }

        return [.. live.OrderBy(n => n.Name, StringComparer.Ordinal)];
    }

    /// <summary>The nodes of <paramref name="site"/> as the hashing takes them.</summary>
    public static IReadOnlyList<RendezvousNode> ForHashing(IEnumerable<NodeInfo> nodes) =>
        [.. nodes.Select(n => new RendezvousNode(n.Name, n.Capacity))];
}
