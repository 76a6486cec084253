using FaceWatch.Cluster;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FaceWatch.Tests.Cluster;

public class NodeRegistryTests
{
    private readonly CancellationToken _ct = CancellationToken.None;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InMemoryLeaseStore _store;

    public NodeRegistryTests() => _store = new InMemoryLeaseStore(_time, TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Each_node_publishes_its_entry_and_live_nodes_are_listed_per_site()
    {
        var a = Registry("a", "north", capacity: 2);
        var b = Registry("b", "north");
        var c = Registry("c", "south");
        a.GalleryVersion = "g7";
        Assert.True(await a.HeartbeatAsync(_ct));
        Assert.True(await b.HeartbeatAsync(_ct));
        Assert.True(await c.HeartbeatAsync(_ct));

        var north = (await a.LiveNodesAsync("north", _ct))!;
        Assert.Equal(["a", "b"], north.Select(n => n.Name));
        var info = north[0];
        Assert.Equal(("north", 2.0, "1.2.3", "g7", _time.GetUtcNow(), a.Instance), (info.Site, info.Capacity, info.Version, info.GalleryVersion, info.HeartbeatUtc, info.Instance));
        Assert.Equal([new RendezvousNode("a", 2), new RendezvousNode("b", 1)], NodeRegistry.ForHashing(north));
        Assert.Equal(["c"], (await a.LiveNodesAsync("south", _ct))!.Select(n => n.Name));
    }

    [Fact]
    public async Task A_node_that_stops_beating_drops_out_after_the_ttl_and_comes_back_with_its_next_beat()
    {
        var a = Registry("a", "north");
        var b = Registry("b", "north");
        await a.HeartbeatAsync(_ct);
        await b.HeartbeatAsync(_ct);
        for (var i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(3));
            await a.HeartbeatAsync(_ct); // b is silent
        }

        Assert.Equal(["a", "b"], (await a.LiveNodesAsync("north", _ct))!.Select(n => n.Name));
        _time.Advance(TimeSpan.FromSeconds(1)); // 10 s since b's beat
        Assert.Equal(["a"], (await a.LiveNodesAsync("north", _ct))!.Select(n => n.Name));

        Assert.True(await b.HeartbeatAsync(_ct)); // its revision is gone: it registers anew
        Assert.Equal(["a", "b"], (await a.LiveNodesAsync("north", _ct))!.Select(n => n.Name));
    }

    [Fact]
    public async Task Unregister_removes_the_entry_at_once()
    {
        var a = Registry("a", "north");
        await a.HeartbeatAsync(_ct);
        await a.UnregisterAsync(_ct);
        Assert.Empty((await a.LiveNodesAsync("north", _ct))!);
    }

    [Fact]
    public async Task Two_processes_with_one_node_name_are_reported()
    {
        using var logs = new CollectingLoggerProvider();
        var first = Registry("a", "north", logger: new Logger<NodeRegistry>(logs));
        var second = Registry("a", "north");
        await first.HeartbeatAsync(_ct);
        await second.HeartbeatAsync(_ct);
        Assert.True(await first.HeartbeatAsync(_ct)); // its revision was overwritten: it notices, logs, and writes again
        var line = Assert.Single(logs.WithEvent(9013));
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Contains("another process also calls itself node 'a' in site 'north'", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_store_reports_failure_instead_of_throwing()
    {
        var link = new LinkedStore(_store) { Link = Link.Down };
        var a = new NodeRegistry(link, new ClusterOptions { Node = "a" }, _time, NullLogger<NodeRegistry>.Instance, "1");
        Assert.False(await a.HeartbeatAsync(_ct));
        Assert.Null(await a.LiveNodesAsync("default", _ct));
        link.Link = Link.Up;
        Assert.True(await a.HeartbeatAsync(_ct));
    }

    private NodeRegistry Registry(string node, string site, double capacity = 1, ILogger<NodeRegistry>? logger = null) =>
        new(_store, new ClusterOptions { Node = node, Site = site, Capacity = capacity }, _time, logger ?? NullLogger<NodeRegistry>.Instance, "1.2.3");
}
