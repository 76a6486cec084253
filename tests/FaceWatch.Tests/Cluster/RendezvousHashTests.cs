using FaceWatch.Cluster;

namespace FaceWatch.Tests.Cluster;

public class RendezvousHashTests
{
    private static readonly string[] Cameras = [.. Enumerable.Range(1, 120).Select(i => $"cam-{i:000}")];

    private static RendezvousNode[] Nodes(params string[] names) => [.. names.Select(n => new RendezvousNode(n, 1))];

    [Fact]
    public void Every_node_computes_the_same_owners_whatever_the_order_of_its_node_list()
    {
        var nodes = Nodes("alpha", "bravo", "charlie", "delta");
        var expected = RendezvousHash.Assign(Cameras, nodes);
        var random = new Random(16);
        for (var i = 0; i < 20; i++)
        {
            var shuffled = nodes.OrderBy(_ => random.Next()).ToArray();
            Assert.Equal(expected, RendezvousHash.Assign(Cameras, shuffled));
        }

        Assert.Equal(Cameras.Length, expected.Count);
        Assert.All(nodes, n => Assert.Contains(n.Name, expected.Values)); // everyone gets some
    }

    [Fact]
    public void The_hash_is_stable_across_processes_and_versions()
    {
        // golden values: changing the hash would make nodes of two versions disagree about owners during an upgrade
        var nodes = Nodes("alpha", "bravo", "charlie");
        Assert.Equal(10230916562712812204UL, System.IO.Hashing.XxHash64.HashToUInt64("cam-001\0alpha"u8)); // XxHash64, seed 0
        Assert.Equal(0.5546190981905581, RendezvousHash.Unit("cam-001", "alpha"), 15);
        Assert.Equal(
            ["charlie", "charlie", "alpha", "bravo", "bravo"],
            new[] { "cam-001", "cam-002", "cam-003", "cam-004", "front door" }.Select(c => RendezvousHash.Owner(c, nodes)));
    }

    [Fact]
    public void A_fourth_node_takes_about_a_quarter_of_the_cameras_all_from_the_others()
    {
        var before = RendezvousHash.Assign(Cameras, Nodes("alpha", "bravo", "charlie"));
        var after = RendezvousHash.Assign(Cameras, Nodes("alpha", "bravo", "charlie", "delta"));

        var moved = Cameras.Where(c => before[c] != after[c]).ToList();
        Assert.InRange(moved.Count / (double)Cameras.Length, 0.15, 0.35);
        Assert.All(moved, c => Assert.Equal("delta", after[c])); // only onto the new node, never between old ones
    }

    [Fact]
    public void Removing_a_node_moves_only_its_cameras()
    {
        var before = RendezvousHash.Assign(Cameras, Nodes("alpha", "bravo", "charlie", "delta"));
        var after = RendezvousHash.Assign(Cameras, Nodes("alpha", "bravo", "delta"));

        foreach (var camera in Cameras)
        {
            if (before[camera] == "charlie")
            {
                Assert.NotEqual("charlie", after[camera]);
            }
            else
            {
                Assert.Equal(before[camera], after[camera]);
            }
        }
    }

    [Fact]
    public void Capacity_weights_share_the_cameras_in_proportion()
    {
        var cameras = Enumerable.Range(0, 1200).Select(i => $"c{i}").ToList();
        var owners = RendezvousHash.Assign(cameras, [new("big", 2), new("small-1", 1), new("small-2", 1)]);
        var big = owners.Values.Count(o => o == "big") / (double)cameras.Count;
        Assert.InRange(big, 0.44, 0.56); // 2 / (2 + 1 + 1)
    }

    [Fact]
    public void A_pin_wins_while_its_node_is_live_and_falls_back_to_hashing_when_it_is_not()
    {
        var nodes = Nodes("alpha", "bravo", "charlie");
        var hashed = RendezvousHash.Owner("cam-007", nodes)!;
        var pinTo = nodes.First(n => n.Name != hashed).Name;
        var pins = new Dictionary<string, string> { ["cam-007"] = pinTo };

        Assert.Equal(pinTo, RendezvousHash.Assign(["cam-007"], nodes, pins)["cam-007"]);
        var without = nodes.Where(n => n.Name != pinTo).ToArray();
        Assert.Equal(RendezvousHash.Owner("cam-007", without), RendezvousHash.Assign(["cam-007"], without, pins)["cam-007"]);
    }

    [Fact]
    public void Nodes_without_capacity_own_nothing_and_no_node_means_no_owner()
    {
        Assert.Null(RendezvousHash.Owner("cam", []));
        Assert.Null(RendezvousHash.Owner("cam", [new("drained", 0)]));
        Assert.Equal("live", RendezvousHash.Owner("cam", [new("drained", 0), new("live", 1)]));
    }

    [Theory]
    [InlineData("front door")]
    [InlineData("Küche/Ost")]
    [InlineData("cam.1")]
    [InlineData("a=b")]
    public void Keys_encode_any_name_reversibly_into_nats_key_characters(string name)
    {
        var token = ClusterKeys.Encode(name);
        Assert.Matches("^[-_=a-zA-Z0-9]+$", token);
        Assert.Equal(name, ClusterKeys.Decode(token));
        Assert.Equal("camera.default." + token, ClusterKeys.Lease("default", name));
    }
}
