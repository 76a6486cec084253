using FaceWatch.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FaceWatch.Tests.Cluster;

/// <summary>Lease logic on the in-memory store (bucket MaxAge = the lease) and a fake clock: exact, no waiting.</summary>
public class LeaseManagerTests
{
    private const string Camera = "front door";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);
    private readonly CancellationToken _ct = CancellationToken.None;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InMemoryLeaseStore _store;

    public LeaseManagerTests() => _store = new InMemoryLeaseStore(_time, Lease);

    [Fact]
    public async Task A_claim_creates_the_key_and_its_revision_is_the_epoch_others_see()
    {
        using var a = Manager("a", out _);
        using var b = Manager("b", out _);

        var claim = await a.TryClaimAsync(Camera, _ct);
        Assert.Equal(new LeaseResult(LeaseOutcome.Claimed, Camera, 1, "a"), claim);
        Assert.True(a.Owns(Camera));
        Assert.Equal(1UL, a.EpochOf(Camera));
        Assert.Equal(claim, await a.TryClaimAsync(Camera, _ct)); // idempotent, no second write
        Assert.Equal(1UL, _store.Sequence);

        var other = await b.TryClaimAsync(Camera, _ct);
        Assert.Equal(new LeaseResult(LeaseOutcome.HeldByOther, Camera, 1, "a"), other);
        Assert.False(b.Owns(Camera));

        var entry = (await _store.GetAsync(ClusterKeys.Lease("default", Camera), _ct)).Entry!;
        var value = ClusterJsonContext.ReadLease(entry.Value)!;
        Assert.Equal(("a", "default", Camera, a.Instance), (value.Node, value.Site, value.Camera, value.Instance));
    }

    [Fact]
    public async Task Renewal_is_a_compare_and_swap_due_every_third_of_the_lease_and_keeps_the_epoch()
    {
        using var a = Manager("a", out _);
        await a.TryClaimAsync(Camera, _ct);

        _time.Advance(Lease / 3 - Tick);
        Assert.Empty(await a.RenewDueAsync(_ct));
        _time.Advance(Tick);
        var renewed = Assert.Single(await a.RenewDueAsync(_ct));
        Assert.Equal(new LeaseResult(LeaseOutcome.Renewed, Camera, 1, "a"), renewed);
        Assert.Equal(2UL, _store.Sequence);

        // renewing for a long time never expires the entry and never changes the epoch
        for (var i = 0; i < 30; i++)
        {
            _time.Advance(Lease / 3);
            Assert.Equal(LeaseOutcome.Renewed, Assert.Single(await a.RenewDueAsync(_ct)).Outcome);
        }

        Assert.True(a.Owns(Camera));
        Assert.Equal(1UL, a.EpochOf(Camera));
        var value = ClusterJsonContext.ReadLease((await _store.GetAsync(ClusterKeys.Lease("default", Camera), _ct)).Entry!.Value)!;
        Assert.Equal(1UL, value.Epoch);
    }

    [Fact]
    public async Task A_revision_changed_under_the_owner_loses_the_lease_at_the_next_renewal()
    {
        using var a = Manager("a", out var lost);
        await a.TryClaimAsync(Camera, _ct);
        var key = ClusterKeys.Lease("default", Camera);
        Assert.True((await _store.UpdateAsync(key, "{}"u8.ToArray(), 1, _ct)).Ok); // someone else's write

        _time.Advance(Lease / 3);
        Assert.Equal(LeaseOutcome.Lost, Assert.Single(await a.RenewDueAsync(_ct)).Outcome);
        Assert.False(a.Owns(Camera));
        Assert.Equal([(Camera, 1UL, LeaseLossReason.Lost)], lost);
        Assert.Equal(LeaseOutcome.NotHeld, (await a.RenewAsync(Camera, _ct)).Outcome);
    }

    [Fact]
    public async Task An_owner_that_cannot_renew_fences_itself_at_two_thirds_of_the_lease_exactly()
    {
        var link = new LinkedStore(_store);
        using var a = Manager("a", out var lost, link);
        await a.TryClaimAsync(Camera, _ct);
        link.Link = Link.Down;

        // renewals are tried (and fail) every lease/12 from lease/3 on; ownership lasts until the deadline
        var attempts = 0;
        for (var step = 1; step < 40; step++) // 0.25 .. 9.75 s
        {
            _time.Advance(TimeSpan.FromMilliseconds(250));
            attempts += (await a.RenewDueAsync(_ct)).Count(r => r.Outcome == LeaseOutcome.Unavailable);
            Assert.True(a.Owns(Camera));
        }

        Assert.Equal(4, attempts); // at 5, 6.25, 7.5 and 8.75 s
        _time.Advance(TimeSpan.FromMilliseconds(250) - Tick);
        Assert.True(a.Owns(Camera));
        Assert.Empty(lost);

        _time.Advance(Tick); // the fence timer fires at the deadline, without any renewal call
        Assert.False(a.Owns(Camera));
        Assert.Equal([(Camera, 1UL, LeaseLossReason.Fenced)], lost);
        Assert.Empty(a.Owned());

        link.Link = Link.Up; // the store comes back: nothing revives the fenced lease
        Assert.Empty(await a.RenewDueAsync(_ct));
        Assert.Single(lost);
    }

    [Fact]
    public async Task Others_can_claim_only_once_a_full_lease_has_passed_without_renewal_and_get_a_higher_epoch()
    {
        var link = new LinkedStore(_store);
        using var a = Manager("a", out _, link);
        using var b = Manager("b", out _);
        await a.TryClaimAsync(Camera, _ct);
        _time.Advance(Lease / 3);
        await a.RenewDueAsync(_ct); // last successful write at 5 s: revision 2
        link.Link = Link.Down;

        _time.Advance(Lease - Tick);
        Assert.False(a.Owns(Camera)); // fenced at 5 + 10 s
        Assert.Equal(LeaseOutcome.HeldByOther, (await b.TryClaimAsync(Camera, _ct)).Outcome);

        _time.Advance(Tick); // 5 + 15 s: the store dropped the entry
        var claim = await b.TryClaimAsync(Camera, _ct);
        Assert.Equal(LeaseOutcome.Claimed, claim.Outcome);
        Assert.True(claim.Epoch > 2);
        Assert.True(b.Owns(Camera));
    }

    [Fact]
    public async Task Without_server_expiry_a_claimant_takes_over_a_lease_it_has_seen_unchanged_for_a_full_lease()
    {
        var store = new InMemoryLeaseStore(_time); // no MaxAge: the entry of a dead owner never vanishes by itself
        var link = new LinkedStore(store);
        using var a = Manager("a", out _, link);
        using var b = Manager("b", out _, store);
        await a.TryClaimAsync(Camera, _ct);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(LeaseOutcome.HeldByOther, (await b.TryClaimAsync(Camera, _ct)).Outcome); // b first sees revision 1 at 2 s
        link.Link = Link.Down;

        _time.Advance(Lease - Tick);
        Assert.False(a.Owns(Camera)); // fenced at 10 s
        Assert.Equal(LeaseOutcome.HeldByOther, (await b.TryClaimAsync(Camera, _ct)).Outcome);
        _time.Advance(Tick); // 2 + 15 s: a full lease of the same revision on b's clock
        var claim = await b.TryClaimAsync(Camera, _ct);
        Assert.Equal(new LeaseResult(LeaseOutcome.Claimed, Camera, 2, "b"), claim);
    }

    [Fact]
    public async Task A_renewal_seen_by_the_claimant_restarts_its_wait()
    {
        var store = new InMemoryLeaseStore(_time);
        using var a = Manager("a", out _, store);
        using var b = Manager("b", out _, store);
        await a.TryClaimAsync(Camera, _ct);
        for (var i = 0; i < 12; i++)
        {
            _time.Advance(Lease / 3);
            await a.RenewDueAsync(_ct);
            Assert.Equal(LeaseOutcome.HeldByOther, (await b.TryClaimAsync(Camera, _ct)).Outcome);
        }

        Assert.True(a.Owns(Camera));
    }

    [Fact]
    public async Task A_release_deletes_the_entry_so_another_node_claims_at_once()
    {
        using var a = Manager("a", out var lost);
        using var b = Manager("b", out _);
        await a.TryClaimAsync(Camera, _ct);
        await a.TryClaimAsync("garden", _ct);

        await a.ReleaseAllAsync(_ct);
        Assert.Empty(a.Owned());
        Assert.Empty(lost); // a release is no loss
        Assert.Equal(LeaseOutcome.Claimed, (await b.TryClaimAsync(Camera, _ct)).Outcome);
        Assert.Equal(LeaseOutcome.Claimed, (await b.TryClaimAsync("garden", _ct)).Outcome);
        Assert.Equal(LeaseOutcome.NotHeld, (await a.ReleaseAsync(Camera, _ct)).Outcome);
    }

    [Fact]
    public async Task A_fenced_owner_takes_its_own_entry_back_as_a_new_epoch_but_a_restarted_process_must_wait()
    {
        var link = new LinkedStore(_store);
        using var a = Manager("a", out _, link);
        await a.TryClaimAsync(Camera, _ct);
        link.Link = Link.Down;
        _time.Advance(Lease * 2 / 3); // fenced; the entry lives until 15 s
        Assert.False(a.Owns(Camera));

        using var restarted = Manager("a", out _); // same node name, another process
        Assert.Equal(new LeaseResult(LeaseOutcome.HeldByOther, Camera, 1, "a"), await restarted.TryClaimAsync(Camera, _ct));

        link.Link = Link.Up;
        var back = await a.TryClaimAsync(Camera, _ct);
        Assert.Equal(LeaseOutcome.Claimed, back.Outcome);
        Assert.Equal(2UL, back.Epoch);
        Assert.True(a.Owns(Camera));
    }

    [Fact]
    public async Task A_claim_whose_answer_was_lost_is_found_again_by_the_same_process()
    {
        var link = new LinkedStore(_store) { Link = Link.LosesAnswers };
        using var a = Manager("a", out _, link);
        Assert.Equal(LeaseOutcome.Unavailable, (await a.TryClaimAsync(Camera, _ct)).Outcome);
        Assert.False(a.Owns(Camera));

        link.Link = Link.Up;
        var claim = await a.TryClaimAsync(Camera, _ct);
        Assert.Equal(new LeaseResult(LeaseOutcome.Claimed, Camera, 2, "a"), claim);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task At_no_simulated_moment_do_two_nodes_both_believe_they_own_a_camera(bool serverExpiry)
    {
        // three nodes with links that go down, lose answers and come back at random, for about twenty simulated minutes;
        // ownership only ever starts at a call, so checking after every call sees every overlap there could be
        string[] cameras = ["door", "garden", "garage"];
        // with server expiry, claims mostly follow the bucket's MaxAge; without, they follow the claimants' observations
        ILeaseStore shared = serverExpiry ? _store : new InMemoryLeaseStore(_time);
        var links = new[] { new LinkedStore(shared), new LinkedStore(shared), new LinkedStore(shared) };
        var managers = links.Select((l, i) => Manager("n" + i, out _, l)).ToArray();
        var random = new Random(1616);
        var lastEpoch = cameras.ToDictionary(c => c, _ => 0UL);
        var handovers = 0;
        try
        {
            for (var step = 0; step < 4000; step++)
            {
                _time.Advance(TimeSpan.FromMilliseconds(random.Next(50, 450)));
                foreach (var link in links)
                {
                    var roll = random.NextDouble();
                    link.Link = link.Link switch
                    {
                        // outages of about 17 s on average, many longer than the lease: failover has to happen
                        Link.Up when roll < 0.004 => Link.Down,
                        Link.Up when roll < 0.006 => Link.LosesAnswers,
                        not Link.Up when roll < 0.015 => Link.Up,
                        var same => same,
                    };
                }

                foreach (var i in Enumerable.Range(0, managers.Length).OrderBy(_ => random.Next()))
                {
                    await managers[i].RenewDueAsync(_ct);
                    AssertSingleOwners(managers, cameras);
                    foreach (var camera in cameras)
                    {
                        var r = await managers[i].TryClaimAsync(camera, _ct);
                        if (r.Outcome == LeaseOutcome.Claimed && r.Epoch != lastEpoch[camera])
                        {
                            Assert.True(r.Epoch > lastEpoch[camera], $"epoch of {camera} went back from {lastEpoch[camera]} to {r.Epoch}");
                            lastEpoch[camera] = r.Epoch;
                            handovers++;
                        }

                        AssertSingleOwners(managers, cameras);
                    }
                }
            }
        }
        finally
        {
            foreach (var m in managers)
            {
                m.Dispose();
            }
        }

        Assert.True(handovers > 20, $"only {handovers} claims: the simulation did not exercise failover");
    }

    private static void AssertSingleOwners(LeaseManager[] managers, string[] cameras)
    {
        foreach (var camera in cameras)
        {
            var owners = managers.Where(m => m.Owns(camera)).Select(m => m.Node).ToList();
            Assert.True(owners.Count <= 1, $"{camera} owned by {string.Join(", ", owners)}");
        }
    }

    private LeaseManager Manager(string node, out List<(string, ulong, LeaseLossReason)> lost, ILeaseStore? store = null)
    {
        var options = new ClusterOptions { Node = node, LeaseSeconds = Lease.TotalSeconds };
        var manager = new LeaseManager(store ?? _store, options, _time, NullLogger<LeaseManager>.Instance);
        var events = new List<(string, ulong, LeaseLossReason)>();
        manager.LeaseLost += (_, e) => events.Add((e.Camera, e.Epoch, e.Reason));
        lost = events;
        return manager;
    }
}
