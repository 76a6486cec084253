namespace FaceWatch.Cluster;

/// <summary>
/// The key-value surface leases and the node registry need: reads with the revision, and writes that succeed only
/// when the key's latest revision is the one the caller expects (compare-and-swap). Revisions come from one counter
/// per store that only grows (the NATS stream sequence), so a later write always has a higher revision. Expected
/// outcomes come back as results, never as exceptions; only cancellation by the caller's token throws.
/// </summary>
public interface ILeaseStore
{
    /// <summary>The live entry of <paramref name="key"/>; <see cref="StoreStatus.NotFound"/> when absent, deleted or expired.</summary>
    Task<StoreRead> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Writes when the key has no live entry (absent, deleted or expired); <see cref="StoreStatus.RevisionMismatch"/> when it has one.</summary>
    Task<StoreWrite> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken);

    /// <summary>Writes when the key's latest revision is <paramref name="expectedRevision"/>, else <see cref="StoreStatus.RevisionMismatch"/>.</summary>
    Task<StoreWrite> UpdateAsync(string key, ReadOnlyMemory<byte> value, ulong expectedRevision, CancellationToken cancellationToken);

    /// <summary>Deletes when the key's latest revision is <paramref name="expectedRevision"/>, else <see cref="StoreStatus.RevisionMismatch"/>.</summary>
    Task<StoreWrite> DeleteAsync(string key, ulong expectedRevision, CancellationToken cancellationToken);

    /// <summary>The live entries whose key starts with <paramref name="prefix"/> (for the registry and status).</summary>
    Task<StoreList> ListAsync(string prefix, CancellationToken cancellationToken);
}

public enum StoreStatus
{
    Ok,

    /// <summary>Read: no live entry.</summary>
    NotFound,

    /// <summary>Write: the key's latest revision was not the expected one (for a create: the key has a live entry).</summary>
    RevisionMismatch,

    /// <summary>The store did not answer (no quorum, disconnected, timed out); the write may or may not have happened.</summary>
    Unavailable,
}

/// <summary>A live entry: its value and the revision of the write that put it there.</summary>
public sealed record StoreEntry(string Key, ReadOnlyMemory<byte> Value, ulong Revision);

public readonly record struct StoreRead(StoreStatus Status, StoreEntry? Entry = null, string? Error = null)
{
    public static StoreRead Found(StoreEntry entry) => new(StoreStatus.Ok, entry);

    public static readonly StoreRead Missing = new(StoreStatus.NotFound);

    public static StoreRead Unavailable(string error) => new(StoreStatus.Unavailable, null, error);
}

/// <summary>The outcome of a write; <see cref="Revision"/> is the new revision when <see cref="Status"/> is Ok.</summary>
public readonly record struct StoreWrite(StoreStatus Status, ulong Revision = 0, string? Error = null)
{
    public bool Ok => Status == StoreStatus.Ok;

    public static StoreWrite Written(ulong revision) => new(StoreStatus.Ok, revision);

    public static readonly StoreWrite Mismatch = new(StoreStatus.RevisionMismatch);

    public static StoreWrite Unavailable(string error) => new(StoreStatus.Unavailable, 0, error);
}

public readonly record struct StoreList(StoreStatus Status, IReadOnlyList<StoreEntry> Entries, string? Error = null)
{
    public static StoreList Of(IReadOnlyList<StoreEntry> entries) => new(StoreStatus.Ok, entries);

    public static StoreList Unavailable(string error) => new(StoreStatus.Unavailable, [], error);
}
