using FaceWatch.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;

namespace FaceWatch.Tests.Cluster;

/// <summary>One contract, every <see cref="ILeaseStore"/>: the in-memory store must behave as the NATS bucket does.</summary>
[Trait("Category", "Slow")]
public abstract class LeaseStoreContract : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    private static readonly byte[] A = "a"u8.ToArray();
    private static readonly byte[] B = "b"u8.ToArray();

    protected abstract ILeaseStore Store { get; }

    /// <summary>Every call of a test is bounded: a hung server fails the test instead of hanging the run.</summary>
    protected CancellationToken Bounded => _timeout.Token;

    public void Dispose()
    {
        _timeout.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Create_succeeds_once_and_a_second_create_is_a_mismatch_not_an_exception()
    {
        var key = NewKey();
        var created = await Store.CreateAsync(key, A, Bounded);
        Assert.Equal(StoreStatus.Ok, created.Status);
        Assert.True(created.Revision > 0);
        Assert.Equal(StoreStatus.RevisionMismatch, (await Store.CreateAsync(key, B, Bounded)).Status);

        var read = await Store.GetAsync(key, Bounded);
        Assert.Equal(created.Revision, read.Entry!.Revision);
        Assert.Equal(A, read.Entry.Value.ToArray());
    }

    [Fact]
    public async Task Update_needs_the_latest_revision_and_returns_a_higher_one()
    {
        var key = NewKey();
        var first = await Store.CreateAsync(key, A, Bounded);
        var second = await Store.UpdateAsync(key, B, first.Revision, Bounded);
        Assert.Equal(StoreStatus.Ok, second.Status);
        Assert.True(second.Revision > first.Revision);
        Assert.Equal(StoreStatus.RevisionMismatch, (await Store.UpdateAsync(key, A, first.Revision, Bounded)).Status);
        Assert.Equal(StoreStatus.RevisionMismatch, (await Store.UpdateAsync(NewKey(), A, first.Revision, Bounded)).Status);
        Assert.Equal(B, (await Store.GetAsync(key, Bounded)).Entry!.Value.ToArray());
    }

    [Fact]
    public async Task Delete_needs_the_latest_revision_and_the_key_can_be_created_again_later()
    {
        var key = NewKey();
        var first = await Store.CreateAsync(key, A, Bounded);
        var second = await Store.UpdateAsync(key, B, first.Revision, Bounded);
        Assert.Equal(StoreStatus.RevisionMismatch, (await Store.DeleteAsync(key, first.Revision, Bounded)).Status);
        Assert.Equal(StoreStatus.Ok, (await Store.DeleteAsync(key, second.Revision, Bounded)).Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.GetAsync(key, Bounded)).Status);
        Assert.Equal(StoreStatus.RevisionMismatch, (await Store.UpdateAsync(key, A, second.Revision, Bounded)).Status);

        var again = await Store.CreateAsync(key, A, Bounded);
        Assert.Equal(StoreStatus.Ok, again.Status);
        Assert.True(again.Revision > second.Revision);
    }

    [Fact]
    public async Task List_returns_live_entries_under_the_prefix_only()
    {
        var prefix = "node.p" + Guid.NewGuid().ToString("N") + ".";
        var x = await Store.CreateAsync(prefix + "x", A, Bounded);
        var y = await Store.CreateAsync(prefix + "y", B, Bounded);
        await Store.CreateAsync(prefix + "z", B, Bounded);
        await Store.CreateAsync("node.other." + Guid.NewGuid().ToString("N"), A, Bounded);
        await Store.DeleteAsync(prefix + "z", y.Revision + 1, Bounded);

        var list = await Store.ListAsync(prefix, Bounded);
        Assert.Equal(StoreStatus.Ok, list.Status);
        Assert.Equal([(prefix + "x", x.Revision), (prefix + "y", y.Revision)], list.Entries.Select(e => (e.Key, e.Revision)));
    }

    private static string NewKey() => "camera.contract." + Guid.NewGuid().ToString("N");
}

[Trait("Category", "Slow")]
public sealed class InMemoryLeaseStoreContractTests : LeaseStoreContract
{
    protected override ILeaseStore Store { get; } = new InMemoryLeaseStore(new FakeTimeProvider());
}

/// <summary>The contract against a real nats-server (one per test class).</summary>
[Trait("Category", "Slow")]
public sealed class NatsKvLeaseStoreContractTests : LeaseStoreContract, IAsyncLifetime
{
    private NatsServer? _server;
    private NatsConnection? _connection;
    private ILeaseStore? _store;

    protected override ILeaseStore Store => _store!;

    public async Task InitializeAsync()
    {
        _server = await NatsServer.StartAsync();
        _connection = new NatsConnection(new NatsOpts { Url = _server.Url, Name = "contract" });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buckets = await ClusterBuckets.OpenAsync(_connection, new ClusterOptions(), NullLogger.Instance, timeout.Token);
        _store = buckets.Nodes;
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
