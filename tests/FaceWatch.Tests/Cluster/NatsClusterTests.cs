using System.Diagnostics;
using FaceWatch.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using Xunit.Abstractions;

namespace FaceWatch.Tests.Cluster;

/// <summary>
/// A real 3-server JetStream cluster with the buckets at 3 replicas: losing one server keeps writes working; losing
/// two leaves no quorum, writes fail, and a lease manager fences itself within the lease.
/// </summary>
[Trait("Category", "Slow")]
public sealed class NatsClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(50));
    private NatsCluster _cluster = null!;
    private NatsConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _cluster = await NatsCluster.StartAsync(3);
        // the client knows every member and fails over; short request timeouts so a lost quorum answers quickly
        _connection = new NatsConnection(new NatsOpts { Url = _cluster.Url, Name = "node-a", RequestTimeout = TimeSpan.FromSeconds(2) });
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _cluster.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Writes_survive_one_lost_server_and_with_two_lost_the_owner_fences_itself_within_the_lease()
    {
        var ct = _timeout.Token;
        var options = new ClusterOptions { Node = "a", LeaseSeconds = 6, HeartbeatSeconds = 1, NodeTtlSeconds = 3, Nats = { Url = _cluster.Url, Replicas = 3 } };
        var buckets = await RetryAsync(() => ClusterBuckets.OpenAsync(_connection, options, NullLogger.Instance, ct), ct);
        using var manager = new LeaseManager(buckets.Leases, options, TimeProvider.System, NullLogger<LeaseManager>.Instance);
        var lost = new List<(LeaseLossReason Reason, long At)>();
        var fenced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.LeaseLost += (_, e) =>
        {
            lock (lost)
            {
                lost.Add((e.Reason, Stopwatch.GetTimestamp()));
            }

            fenced.TrySetResult();
        };
        Assert.Equal(LeaseOutcome.Claimed, (await manager.TryClaimAsync("door", ct)).Outcome);
        using var running = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = manager.RunAsync(running.Token);
        try
        {
            // one server lost: after the stream's leader election (if the leader was lost), writes work again
            await _cluster.Servers[0].KillAsync();
            var killedOne = Stopwatch.GetTimestamp();
            var write = await WriteUntilOkAsync(buckets.Nodes, TimeSpan.FromSeconds(20), ct);
            Assert.True(write.Ok, $"no write with 2 of 3 servers: {write.Error}\n{_cluster.Logs}");
            output.WriteLine(FormattableString.Invariant($"2 of 3 servers: first write {Stopwatch.GetElapsedTime(killedOne).TotalSeconds:F2} s after the kill; lease kept: {manager.Owns("door")}"));

            if (!manager.Owns("door"))
            {
                // an election longer than 2/3 of the lease fenced it: it must come back by a claim (own entry or expiry)
                while ((await manager.TryClaimAsync("door", ct)).Outcome != LeaseOutcome.Claimed)
                {
                    await Task.Delay(200, ct);
                }
            }

            lock (lost)
            {
                lost.Clear();
            }

            fenced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            // two servers lost: no quorum, writes fail, and the owner stops owning by itself
            await _cluster.Servers[1].KillAsync();
            var killedTwo = Stopwatch.GetTimestamp();
            var failed = await buckets.Nodes.CreateAsync("node.probe." + Guid.NewGuid().ToString("N"), "x"u8.ToArray(), ct);
            Assert.Equal(StoreStatus.Unavailable, failed.Status);

            await fenced.Task.WaitAsync(TimeSpan.FromSeconds(6), ct); // within the lease from the kill
            Assert.False(manager.Owns("door"));
            (LeaseLossReason Reason, long At) loss;
            lock (lost)
            {
                loss = Assert.Single(lost);
            }

            Assert.Equal(LeaseLossReason.Fenced, loss.Reason);
            output.WriteLine(FormattableString.Invariant($"1 of 3 servers: write answered {failed.Status} ({failed.Error}); fenced {Stopwatch.GetElapsedTime(killedTwo, loss.At).TotalSeconds:F2} s after the kill (lease 6 s, fence at 2/3)"));
        }
        finally
        {
            await running.CancelAsync();
            await run;
        }
    }

    private static async Task<StoreWrite> WriteUntilOkAsync(ILeaseStore store, TimeSpan limit, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        StoreWrite write;
        while (!(write = await store.CreateAsync("node.probe." + Guid.NewGuid().ToString("N"), "x"u8.ToArray(), ct)).Ok && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(200, ct);
        }

        return write;
    }

    // the buckets' creation may meet a cluster still settling its stream placement
    private static async Task<T> RetryAsync<T>(Func<Task<T>> action, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (NATS.Client.Core.NatsException) when (attempt < 20)
            {
                await Task.Delay(250, ct);
            }
        }
    }
}
