using FaceWatch.Cluster;
using Microsoft.Extensions.Time.Testing;

namespace FaceWatch.Tests.Cluster;

/// <summary>The in-memory store keeps the revision rules of a NATS KV bucket, which the lease tests rely on.</summary>
public class InMemoryLeaseStoreTests
{
    private static readonly byte[] A = [1];
    private static readonly byte[] B = [2];

    [Fact]
    public async Task Create_update_and_delete_follow_the_revision()
    {
        var store = new InMemoryLeaseStore(new FakeTimeProvider());
        var ct = CancellationToken.None;

        var created = await store.CreateAsync("k", A, ct);
        Assert.Equal(StoreWrite.Written(1), created);
        Assert.Equal(StoreStatus.RevisionMismatch, (await store.CreateAsync("k", B, ct)).Status);
        Assert.Equal(StoreStatus.RevisionMismatch, (await store.UpdateAsync("k", B, 2, ct)).Status);

        var updated = await store.UpdateAsync("k", B, 1, ct);
        Assert.Equal(2UL, updated.Revision);
        var read = await store.GetAsync("k", ct);
        Assert.Equal(2UL, read.Entry!.Revision);
        Assert.Equal(B, read.Entry.Value.ToArray());

        Assert.Equal(StoreStatus.RevisionMismatch, (await store.DeleteAsync("k", 1, ct)).Status);
        Assert.True((await store.DeleteAsync("k", 2, ct)).Ok);
        Assert.Equal(StoreStatus.NotFound, (await store.GetAsync("k", ct)).Status);
        Assert.Equal(StoreStatus.RevisionMismatch, (await store.UpdateAsync("k", A, 2, ct)).Status); // the marker has revision 3

        var again = await store.CreateAsync("k", A, ct); // a deleted key can be created again, with a higher revision
        Assert.Equal(4UL, again.Revision);
    }

    [Fact]
    public async Task Entries_expire_after_max_age_without_a_write_and_a_write_restarts_the_age()
    {
        var time = new FakeTimeProvider();
        var store = new InMemoryLeaseStore(time, TimeSpan.FromSeconds(15));
        var ct = CancellationToken.None;
        await store.CreateAsync("k", A, ct);
        time.Advance(TimeSpan.FromSeconds(10));
        await store.UpdateAsync("k", B, 1, ct);
        time.Advance(TimeSpan.FromSeconds(14.9));
        Assert.Equal(StoreStatus.Ok, (await store.GetAsync("k", ct)).Status);
        Assert.Equal(StoreStatus.RevisionMismatch, (await store.CreateAsync("k", A, ct)).Status);

        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(StoreStatus.NotFound, (await store.GetAsync("k", ct)).Status);
        Assert.Equal(StoreStatus.RevisionMismatch, (await store.UpdateAsync("k", A, 2, ct)).Status);
        Assert.Equal(3UL, (await store.CreateAsync("k", A, ct)).Revision);
    }

    [Fact]
    public async Task List_returns_the_live_entries_under_a_prefix()
    {
        var store = new InMemoryLeaseStore(new FakeTimeProvider());
        var ct = CancellationToken.None;
        await store.CreateAsync("node.a.x", A, ct);
        await store.CreateAsync("node.a.y", A, ct);
        await store.CreateAsync("node.b.z", A, ct);
        await store.DeleteAsync("node.a.y", 2, ct);
        var list = await store.ListAsync("node.a.", ct);
        Assert.Equal(["node.a.x"], list.Entries.Select(e => e.Key));
    }
}
