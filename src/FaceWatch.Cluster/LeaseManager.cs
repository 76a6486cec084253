using Microsoft.Extensions.Logging;

namespace FaceWatch.Cluster;

/// <summary>
/// This node's camera leases. A claim is a create-if-absent (its revision is the ownership epoch), a renewal a
/// compare-and-swap on the latest revision, due every lease/3 and retried every lease/12, a release a delete with the
/// revision. Fencing: ownership is derived from the clock, so <see cref="Owns"/> turns false 2/3 of the lease after
/// the send time of the last successful write, and a timer raises <see cref="LeaseLost"/> at that moment even while a
/// store call hangs. Nobody else can claim before a full lease has passed since that write: the store drops the entry
/// (bucket MaxAge), or a claimant that has seen the same revision for a full lease on its own clock replaces it by
/// compare-and-swap. So two nodes never both believe they own a camera, and failover does not hang on server expiry.
/// </summary>
public sealed class LeaseManager : IDisposable
{
    private readonly ILeaseStore _store;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, CameraLease> _held = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _claimGate = new(1, 1);
    private readonly Dictionary<string, (ulong Revision, long Since)> _observed = new(StringComparer.Ordinal);

    public LeaseManager(ILeaseStore store, ClusterOptions options, TimeProvider time, ILogger<LeaseManager> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised (on a timer or renewal thread) when this node stops owning a camera it did not release itself.</summary>
    public event EventHandler<LeaseLostEventArgs>? LeaseLost;

    /// <summary>Tells this process's entries from those of an earlier process with the same node name.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N");

    public string Node => _options.Node;

    /// <summary>Retry interval of a failing renewal, and the tick of <see cref="RunAsync"/>.</summary>
    public TimeSpan RetryEvery => _options.Lease / 12;

    /// <summary>Bound of one store call: a hung call must not delay the next retry much.</summary>
    public TimeSpan RequestTimeout => _options.Lease / 6;

    /// <summary>Whether this node owns <paramref name="camera"/> at this moment (false from the fence deadline on, timer or not).</summary>
    public bool Owns(string camera)
    {
        lock (_lock)
        {
            return _held.TryGetValue(camera, out var lease) && Alive(lease);
        }
    }

    /// <summary>The epoch of the lease this node owns, or null.</summary>
    public ulong? EpochOf(string camera)
    {
        lock (_lock)
        {
            return _held.TryGetValue(camera, out var lease) && Alive(lease) ? lease.Epoch : null;
        }
    }

    /// <summary>The cameras this node owns now.</summary>
    public IReadOnlyList<string> Owned()
    {
        lock (_lock)
        {
            return [.. _held.Values.Where(Alive).Select(l => l.Camera).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// Claims <paramref name="camera"/> if nobody holds it (idempotent for a lease this node owns). An entry left by this
    /// very process (after a fence, or a claim whose answer was lost) is taken back with a compare-and-swap, as a new epoch.
    /// </summary>
    public async Task<LeaseResult> TryClaimAsync(string camera, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(camera);
        await _claimGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CameraLease? overdue = null;
            lock (_lock)
            {
                if (_held.TryGetValue(camera, out var current))
                {
                    if (Alive(current))
                    {
                        return new LeaseResult(LeaseOutcome.Claimed, camera, current.Epoch, Node);
                    }

                    End(current); // past its deadline, timer not yet run: fence it now, then claim anew
                    overdue = current;
                }
            }

            if (overdue is not null)
            {
                _ = Fenced(overdue);
            }

            var key = ClusterKeys.Lease(_options.Site, camera);
            var sentAt = _time.GetTimestamp();
            var write = await CallAsync(t => _store.CreateAsync(key, Value(camera, epoch: 0), t), StoreWrite.Unavailable, cancellationToken).ConfigureAwait(false);
            if (write.Status == StoreStatus.RevisionMismatch)
            {
                var read = await CallAsync(t => _store.GetAsync(key, t), StoreRead.Unavailable, cancellationToken).ConfigureAwait(false);
                if (read.Status == StoreStatus.Unavailable)
                {
                    return new LeaseResult(LeaseOutcome.Unavailable, camera, Error: read.Error);
                }

                var value = read.Entry is { } e ? ClusterJsonContext.ReadLease(e.Value) : null;
                var ours = read.Entry is not null && value?.Instance == Instance;
                // someone else's entry unchanged for a full lease on our clock: its owner fenced itself a third of a
                // lease ago, whatever the server's expiry does (the takeover is a compare-and-swap on that revision)
                var stale = read.Entry is not null && !ours && Unchanged(camera, read.Entry.Revision) >= _options.Lease;
                if (read.Entry is null || !(ours || stale))
                {
                    var owner = value?.Node ?? "(unknown)";
                    var epoch = read.Entry is { } entry && value is not null ? value.EpochAt(entry.Revision) : 0;
                    Log.HeldByOther(_logger, camera, owner, epoch);
                    return new LeaseResult(LeaseOutcome.HeldByOther, camera, epoch, value?.Node);
                }

                // our own entry (nobody wrote after it, so nobody else owns the camera) or a stale one: take it as a new epoch
                sentAt = _time.GetTimestamp();
                write = await CallAsync(t => _store.UpdateAsync(key, Value(camera, epoch: 0), read.Entry.Revision, t), StoreWrite.Unavailable, cancellationToken).ConfigureAwait(false);
                if (write.Status == StoreStatus.RevisionMismatch)
                {
                    return new LeaseResult(LeaseOutcome.HeldByOther, camera);
                }
            }

            if (write.Status != StoreStatus.Ok)
            {
                return new LeaseResult(LeaseOutcome.Unavailable, camera, Error: write.Error);
            }

            var lease = new CameraLease(camera, key, write.Revision, sentAt);
            lock (_lock)
            {
                _observed.Remove(camera);
                _held[camera] = lease;
                var remaining = _options.FenceAfter - _time.GetElapsedTime(sentAt);
                lease.FenceTimer = _time.CreateTimer(static s => ((FenceState)s!).Fire(), new FenceState(this, lease), Positive(remaining), Timeout.InfiniteTimeSpan);
            }

            Log.Claimed(_logger, Node, camera, lease.Epoch);
            return new LeaseResult(LeaseOutcome.Claimed, camera, lease.Epoch, Node);
        }
        finally
        {
            _claimGate.Release();
        }
    }

    /// <summary>Renews one lease now (compare-and-swap on its latest revision).</summary>
    public async Task<LeaseResult> RenewAsync(string camera, CancellationToken cancellationToken)
    {
        CameraLease? lease;
        lock (_lock)
        {
            _held.TryGetValue(camera, out lease);
        }

        return lease is null ? new LeaseResult(LeaseOutcome.NotHeld, camera) : await RenewAsync(lease, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renews every lease whose renewal is due (a third of the lease since the last success, retries every lease/12), in parallel.</summary>
    public async Task<IReadOnlyList<LeaseResult>> RenewDueAsync(CancellationToken cancellationToken)
    {
        List<CameraLease> due;
        lock (_lock)
        {
            due = [.. _held.Values.Where(l => Alive(l)
                && _time.GetElapsedTime(l.ConfirmedAt) >= _options.RenewEvery
                && _time.GetElapsedTime(l.LastAttemptAt) >= RetryEvery)];
        }

        return due.Count == 0 ? [] : await Task.WhenAll(due.Select(l => RenewAsync(l, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Renews what is due every lease/12 until cancelled (the fence timers work without it).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RetryEvery, _time);
        try
        {
            do
            {
                await RenewDueAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Gives <paramref name="camera"/> up: stops owning it first, then deletes the entry if it is still this lease's.</summary>
    public async Task<LeaseResult> ReleaseAsync(string camera, CancellationToken cancellationToken)
    {
        CameraLease? lease;
        lock (_lock)
        {
            if (!_held.TryGetValue(camera, out lease))
            {
                return new LeaseResult(LeaseOutcome.NotHeld, camera);
            }

            End(lease);
        }

        await lease.Gate.WaitAsync(cancellationToken).ConfigureAwait(false); // a renewal in flight settles the revision first
        try
        {
            var delete = await CallAsync(t => _store.DeleteAsync(lease.Key, lease.Revision, t), StoreWrite.Unavailable, cancellationToken).ConfigureAwait(false);
            // a mismatch means the entry is no longer ours; unavailable leaves it to expire: both are safe
            Log.Released(_logger, camera, lease.Epoch, delete.Ok ? "" : $"; the entry stays until it expires ({delete.Status})");
            return new LeaseResult(LeaseOutcome.Released, camera, lease.Epoch, Error: delete.Error);
        }
        finally
        {
            lease.Gate.Release();
        }
    }

    /// <summary>Releases every lease (graceful stop), so other nodes claim the cameras at once instead of after a lease.</summary>
    public async Task ReleaseAllAsync(CancellationToken cancellationToken)
    {
        List<string> cameras;
        lock (_lock)
        {
            cameras = [.. _held.Keys];
        }

        await Task.WhenAll(cameras.Select(c => ReleaseAsync(c, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Stops the fence timers; leases are not released (that needs <see cref="ReleaseAllAsync"/>) and expire.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var lease in _held.Values)
            {
                lease.Ended = true;
                lease.Dispose();
            }

            _held.Clear();
        }

        _claimGate.Dispose();
    }

    private async Task<LeaseResult> RenewAsync(CameraLease lease, CancellationToken cancellationToken)
    {
        await lease.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ulong expected;
            long sentAt;
            lock (_lock)
            {
                if (lease.Ended)
                {
                    return new LeaseResult(LeaseOutcome.NotHeld, lease.Camera, lease.Epoch);
                }

                if (!Alive(lease))
                {
                    End(lease);
                    expected = 0;
                }
                else
                {
                    expected = lease.Revision;
                }

                sentAt = _time.GetTimestamp();
                lease.LastAttemptAt = sentAt;
            }

            if (expected == 0)
            {
                return Fenced(lease);
            }

            var write = await CallAsync(
                t => _store.UpdateAsync(lease.Key, Value(lease.Camera, lease.Epoch), expected, t), StoreWrite.Unavailable, cancellationToken).ConfigureAwait(false);
            bool recovered;
            lock (_lock)
            {
                if (lease.Ended)
                {
                    // fenced or released meanwhile: a late success changes nothing; the entry expires or a claim takes it back
                    return new LeaseResult(LeaseOutcome.NotHeld, lease.Camera, lease.Epoch);
                }

                if (write.Status == StoreStatus.RevisionMismatch)
                {
                    End(lease);
                }
                else if (!Alive(lease))
                {
                    // the deadline passed while the call ran: fenced, whatever the answer (a lease never comes back to life)
                    End(lease);
                    write = write with { Status = StoreStatus.Unavailable, Error = "answered after the fence deadline" };
                }

                recovered = false;
                if (write.Ok)
                {
                    // the store wrote no earlier than the send time, so the entry lives at least a lease from it
                    lease.Revision = write.Revision;
                    lease.ConfirmedAt = sentAt;
                    lease.FenceTimer?.Change(Positive(_options.FenceAfter - _time.GetElapsedTime(sentAt)), Timeout.InfiniteTimeSpan);
                    recovered = lease.Failing;
                    lease.Failing = false;
                }
            }

            if (lease.Ended && write.Status != StoreStatus.RevisionMismatch)
            {
                return Fenced(lease);
            }

            switch (write.Status)
            {
                case StoreStatus.Ok:
                    if (recovered)
                    {
                        Log.RenewRecovered(_logger, lease.Camera, lease.Epoch);
                    }

                    return new LeaseResult(LeaseOutcome.Renewed, lease.Camera, lease.Epoch, Node);
                case StoreStatus.RevisionMismatch:
                    Log.Lost(_logger, lease.Camera, lease.Epoch);
                    LeaseLost?.Invoke(this, new LeaseLostEventArgs(lease.Camera, lease.Epoch, LeaseLossReason.Lost));
                    return new LeaseResult(LeaseOutcome.Lost, lease.Camera, lease.Epoch);
                default:
                    if (!lease.Failing)
                    {
                        lease.Failing = true;
                        Log.RenewFailing(_logger, lease.Camera, lease.Epoch, write.Error ?? "unavailable", _options.FenceAfter.TotalSeconds);
                    }

                    return new LeaseResult(LeaseOutcome.Unavailable, lease.Camera, lease.Epoch, Error: write.Error);
            }
        }
        finally
        {
            lease.Gate.Release();
        }
    }

    /// <summary>The fence timer fired: end the lease unless a renewal moved the deadline in the meantime.</summary>
    private void OnFenceDeadline(CameraLease lease)
    {
        lock (_lock)
        {
            if (lease.Ended)
            {
                return;
            }

            if (Alive(lease))
            {
                // renewed between the timer's start and now: run again at the new deadline
                lease.FenceTimer?.Change(Positive(_options.FenceAfter - _time.GetElapsedTime(lease.ConfirmedAt)), Timeout.InfiniteTimeSpan);
                return;
            }

            End(lease);
        }

        _ = Fenced(lease);
    }

    // outside _lock, once per lease: whoever ended it (timer or renewal) reports it
    private LeaseResult Fenced(CameraLease lease)
    {
        if (Interlocked.Exchange(ref lease.FenceReported, 1) == 0)
        {
            Log.Fenced(_logger, lease.Camera, lease.Epoch, _time.GetElapsedTime(lease.ConfirmedAt).TotalSeconds, _options.LeaseSeconds);
            LeaseLost?.Invoke(this, new LeaseLostEventArgs(lease.Camera, lease.Epoch, LeaseLossReason.Fenced));
        }

        return new LeaseResult(LeaseOutcome.Fenced, lease.Camera, lease.Epoch);
    }

    /// <summary>How long this node has seen <paramref name="revision"/> as the latest of another node's lease (0 when new).</summary>
    private TimeSpan Unchanged(string camera, ulong revision)
    {
        lock (_lock)
        {
            if (_observed.TryGetValue(camera, out var seen) && seen.Revision == revision)
            {
                return _time.GetElapsedTime(seen.Since);
            }

            _observed[camera] = (revision, _time.GetTimestamp());
            return TimeSpan.Zero;
        }
    }

    // under _lock
    private bool Alive(CameraLease lease) => !lease.Ended && _time.GetElapsedTime(lease.ConfirmedAt) < _options.FenceAfter;

    // under _lock: forget the lease (it is never owned again) and stop its timer
    private void End(CameraLease lease)
    {
        lease.Ended = true;
        lease.Dispose();
        if (_held.TryGetValue(lease.Camera, out var current) && ReferenceEquals(current, lease))
        {
            _held.Remove(lease.Camera);
        }
    }

    private byte[] Value(string camera, ulong epoch) =>
        ClusterJsonContext.Serialize(new LeaseValue(Node, _options.Site, camera, Instance, epoch, _time.GetUtcNow(), _options.LeaseSeconds));

    /// <summary>One store call bounded by <see cref="RequestTimeout"/> on this manager's clock; a timeout is "unavailable".</summary>
    private async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, Func<string, T> unavailable, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await call(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return unavailable($"timed out after {RequestTimeout.TotalSeconds:F1} s");
        }
    }

    private static TimeSpan Positive(TimeSpan t) => t > TimeSpan.Zero ? t : TimeSpan.Zero;

    private sealed class FenceState(LeaseManager manager, CameraLease lease)
    {
        public void Fire() => manager.OnFenceDeadline(lease);
    }
}
