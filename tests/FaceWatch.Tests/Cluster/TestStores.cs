using FaceWatch.Cluster;

namespace FaceWatch.Tests.Cluster;

/// <summary>How one node's link to the shared store behaves in a test.</summary>
public enum Link
{
    Up,

    /// <summary>Nothing reaches the store: every call answers Unavailable.</summary>
    Down,

    /// <summary>Writes reach the store but the answers are lost: applied, reported Unavailable.</summary>
    LosesAnswers,
}

/// <summary>One node's view of a shared store, with a link the test cuts (fake for the network between node and store).</summary>
public sealed class LinkedStore(ILeaseStore inner) : ILeaseStore
{
    public Link Link { get; set; } = Link.Up;

    public Task<StoreRead> GetAsync(string key, CancellationToken cancellationToken) =>
        Link == Link.Up ? inner.GetAsync(key, cancellationToken) : Task.FromResult(StoreRead.Unavailable("link down"));

    public Task<StoreWrite> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken) =>
        Write(() => inner.CreateAsync(key, value, cancellationToken));

    public Task<StoreWrite> UpdateAsync(string key, ReadOnlyMemory<byte> value, ulong expectedRevision, CancellationToken cancellationToken) =>
        Write(() => inner.UpdateAsync(key, value, expectedRevision, cancellationToken));

    public Task<StoreWrite> DeleteAsync(string key, ulong expectedRevision, CancellationToken cancellationToken) =>
        Write(() => inner.DeleteAsync(key, expectedRevision, cancellationToken));

    public Task<StoreList> ListAsync(string prefix, CancellationToken cancellationToken) =>
        Link == Link.Up ? inner.ListAsync(prefix, cancellationToken) : Task.FromResult(StoreList.Unavailable("link down"));

    private async Task<StoreWrite> Write(Func<Task<StoreWrite>> write)
    {
        switch (Link)
        {
            case Link.Down:
                return StoreWrite.Unavailable("link down");
            case Link.LosesAnswers:
                await write();
                return StoreWrite.Unavailable("answer lost");
            default:
                return await write();
        }
    }
}
