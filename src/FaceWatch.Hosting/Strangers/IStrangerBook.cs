namespace FaceWatch.Hosting.Strangers;

/// <summary>One kept face of a stranger group: its index in the group (for <see cref="IStrangerBook.ReadCrop"/>), camera and quality.</summary>
public sealed record StrangerCrop(int Index, string Camera, DateTimeOffset SeenAt, double Quality);

/// <summary>
/// Visits of one stranger grouped across time and cameras. <see cref="Id"/> is stable (kept across restarts and as
/// visits join); <see cref="Crops"/> are the group's best aligned faces, best first.
/// </summary>
public sealed record StrangerGroup(
    string Id, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, int Visits, IReadOnlyList<string> Cameras, IReadOnlyList<StrangerCrop> Crops);

/// <summary>
/// The strangers the daemon remembers (<c>Strangers:Enabled</c>): grouped unknown visits with their best crops and
/// embeddings. The review actions (name, ignore) use <see cref="Embeddings"/> and then <see cref="ForgetAsync"/>.
/// Thread-safe.
/// </summary>
public interface IStrangerBook
{
    /// <summary>False when <c>Strangers:Enabled</c> is off: nothing is kept, lists are empty.</summary>
    bool Enabled { get; }

    /// <summary>
    /// Why an enabled book keeps nothing (its index file cannot be read; the message names the file), for the review
    /// page to show; null when it works or is disabled.
    /// </summary>
    string? Problem => null;

    /// <summary>Every group, most recently seen first.</summary>
    IReadOnlyList<StrangerGroup> Groups();

    StrangerGroup? Find(string id);

    /// <summary>The JPEG of one crop of a group, or null if there is no such group or crop.</summary>
    byte[]? ReadCrop(string id, int index);

    /// <summary>The L2-normalised embeddings of the group's kept faces (empty for an unknown id).</summary>
    IReadOnlyList<float[]> Embeddings(string id);

    /// <summary>Deletes the group: its crops and embeddings are removed from memory and disk. False for an unknown id.</summary>
    Task<bool> ForgetAsync(string id, CancellationToken cancellationToken);
}
