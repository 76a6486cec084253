namespace FaceWatch.Cluster;

/// <summary>
/// One camera lease held by this node: the epoch (revision of the claim), the latest revision (what the next
/// compare-and-swap expects) and when the last successful write was sent, from which the fence deadline follows.
/// Mutated only by <see cref="LeaseManager"/> under its lock.
/// </summary>
public sealed class CameraLease : IDisposable
{
    internal CameraLease(string camera, string key, ulong epoch, long confirmedAt)
    {
        Camera = camera;
        Key = key;
        Epoch = epoch;
        Revision = epoch;
        ConfirmedAt = confirmedAt;
        LastAttemptAt = confirmedAt;
    }

    public string Camera { get; }

    public string Key { get; }

    /// <summary>The ownership epoch: the store revision of the write that claimed the lease.</summary>
    public ulong Epoch { get; }

    /// <summary>The revision of the latest successful write (claim or renewal).</summary>
    public ulong Revision { get; internal set; }

    /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) when the latest successful write was sent: the store wrote it no earlier.</summary>
    internal long ConfirmedAt { get; set; }

    internal long LastAttemptAt { get; set; }

    /// <summary>Renewals are failing (logged once, until one works again).</summary>
    internal bool Failing { get; set; }

    /// <summary>Fenced, lost or released: never owned again (a new claim makes a new lease).</summary>
    internal bool Ended { get; set; }

    /// <summary>1 once the fence was logged and raised (the timer and a renewal may both find the deadline passed).</summary>
    internal int FenceReported;

    /// <summary>Fires at the fence deadline; pushed back by each successful renewal.</summary>
    internal ITimer? FenceTimer { get; set; }

    /// <summary>One store operation of this lease at a time (a release waits for a renewal in flight).</summary>
    internal SemaphoreSlim Gate { get; } = new(1, 1);

    // only the timer holds a resource: the gate never hands out its wait handle
    public void Dispose() => FenceTimer?.Dispose();
}
