namespace FaceWatch.Cluster;

public enum LeaseOutcome
{
    /// <summary>This node owns the camera now (newly or already); <see cref="LeaseResult.Epoch"/> is its epoch.</summary>
    Claimed,

    Renewed,

    /// <summary>Another node (or an earlier process of this node) holds the lease; <see cref="LeaseResult.Owner"/> says who.</summary>
    HeldByOther,

    /// <summary>The revision changed under this node: the lease expired and was taken, or was deleted. The camera must stop.</summary>
    Lost,

    /// <summary>No successful renewal for 2/3 of the lease: this node stopped owning the camera by itself.</summary>
    Fenced,

    Released,

    /// <summary>The store did not answer; nothing changed in what this node believes it owns.</summary>
    Unavailable,

    /// <summary>This node holds no lease of that camera.</summary>
    NotHeld,
}

public readonly record struct LeaseResult(LeaseOutcome Outcome, string Camera, ulong Epoch = 0, string? Owner = null, string? Error = null);

public enum LeaseLossReason
{
    Fenced,
    Lost,
}

/// <summary>This node no longer owns <see cref="Camera"/>: stop its pipeline now.</summary>
public sealed class LeaseLostEventArgs(string camera, ulong epoch, LeaseLossReason reason) : EventArgs
{
    public string Camera { get; } = camera;

    public ulong Epoch { get; } = epoch;

    public LeaseLossReason Reason { get; } = reason;
}
