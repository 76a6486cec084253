using System.Diagnostics;
using FaceWatch.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using Xunit.Abstractions;

namespace FaceWatch.Tests.Cluster;

/// <summary>Leases and the registry over a real nats-server's KV buckets, on the real clock (a 3 s lease).</summary>
[Trait("Category", "Slow")]
public sealed class NatsLeaseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Camera = "front door";
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(40));
    private readonly List<IAsyncDisposable> _owned = [];
    private NatsServer _server = null!;

    private CancellationToken Bounded => _timeout.Token;

    public async Task InitializeAsync() => _server = await NatsServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_owned))
        {
            await item.DisposeAsync();
        }

        await _server.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task One_node_claims_the_other_cannot_and_after_the_owner_stops_renewing_it_takes_over_with_a_higher_epoch()
    {
        // 6 s, not 3: renewals come every lease/3 and a stall of lease/3 fences the owner; the parallel tests of a CI run
        // stalled a 1-s renewal once, so the lease leaves room for a 2-s stall
        const double lease = 6;
        var options = WithLease(Options("a"), lease);
        using var a = new LeaseManager((await OpenAsync("a", options)).Leases, options, TimeProvider.System, NullLogger<LeaseManager>.Instance);
        var optionsB = WithLease(Options("b"), lease);
        using var b = new LeaseManager((await OpenAsync("b", optionsB)).Leases, optionsB, TimeProvider.System, NullLogger<LeaseManager>.Instance);
        var fencedAt = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.LeaseLost += (_, e) => fencedAt.TrySetResult(Stopwatch.GetTimestamp());

        var claim = await a.TryClaimAsync(Camera, Bounded);
        Assert.Equal(LeaseOutcome.Claimed, claim.Outcome);
        Assert.Equal(new LeaseResult(LeaseOutcome.HeldByOther, Camera, claim.Epoch, "a"), await b.TryClaimAsync(Camera, Bounded));

        // renewing, a keeps the camera well past one lease
        using (var renewing = CancellationTokenSource.CreateLinkedTokenSource(Bounded))
        {
            var run = a.RunAsync(renewing.Token);
            var until = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * lease * 1.5); // 1.5 leases
            while (Stopwatch.GetTimestamp() < until)
            {
                Assert.Equal(LeaseOutcome.HeldByOther, (await b.TryClaimAsync(Camera, Bounded)).Outcome);
                Assert.True(a.Owns(Camera));
                await Task.Delay(200, Bounded);
            }

            await renewing.CancelAsync(); // a's renewals die (as if its process hung); nothing is released
            await run;
        }

        var stopped = Stopwatch.GetTimestamp();
        LeaseResult taken;
        while ((taken = await b.TryClaimAsync(Camera, Bounded)).Outcome != LeaseOutcome.Claimed)
        {
            Assert.Equal(LeaseOutcome.HeldByOther, taken.Outcome);
            await Task.Delay(100, Bounded);
        }

        var claimedAt = Stopwatch.GetTimestamp();
        Assert.True(taken.Epoch > claim.Epoch, $"epoch {taken.Epoch} after {claim.Epoch}");
        Assert.False(a.Owns(Camera));
        Assert.True(fencedAt.Task.IsCompleted, "b claimed before a had fenced itself");
        Assert.True(await fencedAt.Task < claimedAt);
        // the entry lives a lease from a's last write, which was sent less than lease/3 + lease/12 before the stop
        Assert.True(Stopwatch.GetElapsedTime(stopped, claimedAt) > TimeSpan.FromSeconds(lease * (1 - 1.0 / 3 - 1.0 / 12)));
        output.WriteLine(FormattableString.Invariant(
            $"a fenced {Stopwatch.GetElapsedTime(stopped, await fencedAt.Task).TotalSeconds:F2} s and b claimed {Stopwatch.GetElapsedTime(stopped, claimedAt).TotalSeconds:F2} s after a's renewals stopped (lease {lease} s)"));
    }

    [Fact]
    public async Task A_graceful_release_lets_the_other_node_claim_at_once()
    {
        var options = Options("a");
        using var a = new LeaseManager((await OpenAsync("a", options)).Leases, options, TimeProvider.System, NullLogger<LeaseManager>.Instance);
        var optionsB = Options("b");
        using var b = new LeaseManager((await OpenAsync("b", optionsB)).Leases, optionsB, TimeProvider.System, NullLogger<LeaseManager>.Instance);
        var first = await a.TryClaimAsync(Camera, Bounded);
        await a.ReleaseAllAsync(Bounded);
        var second = await b.TryClaimAsync(Camera, Bounded);
        Assert.Equal(LeaseOutcome.Claimed, second.Outcome);
        Assert.True(second.Epoch > first.Epoch);
    }

    [Fact]
    public async Task The_registry_lists_live_nodes_and_the_bucket_drops_one_that_stops_beating()
    {
        var a = Registry("a", (await OpenAsync("a", Options("a"))).Nodes);
        var b = Registry("b", (await OpenAsync("b", Options("b"))).Nodes);
        Assert.True(await a.HeartbeatAsync(Bounded));
        Assert.True(await b.HeartbeatAsync(Bounded));
        Assert.Equal(["a", "b"], (await a.LiveNodesAsync("default", Bounded))!.Select(n => n.Name));

        using var beating = CancellationTokenSource.CreateLinkedTokenSource(Bounded);
        var run = a.RunAsync(beating.Token); // a beats every 0.5 s, b is silent; the node TTL is 2 s
        try
        {
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 15;
            IReadOnlyList<NodeInfo>? live;
            while ((live = await a.LiveNodesAsync("default", Bounded)) is not [{ Name: "a" }] && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(100, Bounded);
            }

            Assert.True(live is [{ Name: "a" }], "live: " + (live is null ? "store unavailable" : string.Join(", ", live.Select(n => $"{n.Name} beat {n.HeartbeatUtc:HH:mm:ss.fff}")))
                + FormattableString.Invariant($" at {DateTimeOffset.UtcNow:HH:mm:ss.fff}\n{_server.Log}"));
        }
        finally
        {
            await beating.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task Nodes_with_another_lease_time_refuse_the_cluster_bucket()
    {
        await OpenAsync("a", Options("a"));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => OpenAsync("b", WithLease(Options("b"), 6)));
        Assert.Contains("Cluster:LeaseSeconds is 6 s but the cluster's bucket 'facewatch-leases' expires entries after 3 s", ex.Message, StringComparison.Ordinal);
    }

    private static ClusterOptions Options(string node) =>
        new() { Node = node, LeaseSeconds = 3, HeartbeatSeconds = 0.5, NodeTtlSeconds = 2 };

    private static ClusterOptions WithLease(ClusterOptions options, double seconds)
    {
        options.LeaseSeconds = seconds;
        return options;
    }

    private static NodeRegistry Registry(string node, ILeaseStore store) =>
        new(store, Options(node), TimeProvider.System, NullLogger<NodeRegistry>.Instance, "test");

    private async Task<ClusterBuckets> OpenAsync(string node, ClusterOptions options)
    {
        // one connection per node, as separate processes would have
        var connection = new NatsConnection(new NatsOpts { Url = _server.Url, Name = node });
        _owned.Add(connection);
        return await ClusterBuckets.OpenAsync(connection, options, NullLogger.Instance, Bounded);
    }
}
