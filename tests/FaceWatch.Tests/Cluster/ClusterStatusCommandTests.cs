using System.Text.Json;
using FaceWatch.Cluster;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;

namespace FaceWatch.Tests.Cluster;

/// <summary><c>facewatch cluster status</c>, the real CLI against a real nats-server whose buckets the library filled.</summary>
[Trait("Category", "Slow")]
public sealed class ClusterStatusCommandTests : IAsyncLifetime
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(90));
    private NatsServer _server = null!;

    private CancellationToken Bounded => _timeout.Token;

    public async Task InitializeAsync() => _server = await NatsServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _timeout.Dispose();
    }

    private ClusterOptions Options(string node, double capacity = 1) =>
        new() { Node = node, Site = "home", Capacity = capacity, LeaseSeconds = 30, HeartbeatSeconds = 3, NodeTtlSeconds = 30, Nats = { Url = _server.Url } };

    [Fact]
    public async Task Json_lists_both_registered_nodes_and_every_camera_with_its_owner_or_null()
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = _server.Url, Name = "status-test" });
        var a = Options("node-a", capacity: 2);
        var buckets = await ClusterBuckets.OpenAsync(connection, a, NullLogger.Instance, Bounded);
        var registryA = new NodeRegistry(buckets.Nodes, a, TimeProvider.System, NullLogger<NodeRegistry>.Instance, "1.2.3") { GalleryVersion = "g-42" };
        var registryB = new NodeRegistry(buckets.Nodes, Options("node-b"), TimeProvider.System, NullLogger<NodeRegistry>.Instance, "1.2.4");
        Assert.True(await registryA.HeartbeatAsync(Bounded));
        Assert.True(await registryB.HeartbeatAsync(Bounded));
        using var leases = new LeaseManager(buckets.Leases, a, TimeProvider.System, NullLogger<LeaseManager>.Instance);
        var claim = await leases.TryClaimAsync("front door", Bounded);
        Assert.Equal(LeaseOutcome.Claimed, claim.Outcome);

        var env = new Dictionary<string, string>
        {
            ["FACEWATCH_Cluster__Nats__Url"] = _server.Url,
            ["FACEWATCH_Cluster__Site"] = "home",
            ["FACEWATCH_Cameras__0__Name"] = "front door",
            ["FACEWATCH_Cameras__1__Name"] = "garage",
        };
        var run = await Cli.RunAsync(TestPaths.RepoRoot, env, CliTimeout, "cluster", "status", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());

        using var doc = JsonDocument.Parse(run.Stdout);
        var nodes = doc.RootElement.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(["node-a", "node-b"], nodes.Select(n => n.GetProperty("name").GetString()));
        Assert.All(nodes, n => Assert.Equal("home", n.GetProperty("site").GetString()));
        Assert.Equal(2, nodes[0].GetProperty("capacity").GetDouble());
        Assert.Equal("1.2.3", nodes[0].GetProperty("version").GetString());
        Assert.Equal("g-42", nodes[0].GetProperty("galleryVersion").GetString());
        Assert.Equal(JsonValueKind.Null, nodes[1].GetProperty("galleryVersion").ValueKind);
        Assert.Equal("1.2.4", nodes[1].GetProperty("version").GetString());
        Assert.All(nodes, n => Assert.InRange(n.GetProperty("heartbeatAgeSeconds").GetDouble(), -5, 60));

        var cameras = doc.RootElement.GetProperty("cameras").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(["front door", "garage"], cameras.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("node-a", cameras["front door"].GetProperty("owner").GetString());
        Assert.Equal(claim.Epoch, cameras["front door"].GetProperty("epoch").GetUInt64());
        Assert.Equal("home", cameras["front door"].GetProperty("site").GetString());
        Assert.Equal(JsonValueKind.Null, cameras["garage"].GetProperty("owner").ValueKind);
        Assert.Equal(JsonValueKind.Null, cameras["garage"].GetProperty("epoch").ValueKind);

        // the text form names the same things
        var text = await Cli.RunAsync(TestPaths.RepoRoot, env, CliTimeout, "cluster", "status");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("node-b", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("(nobody)", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_url_or_with_an_unreachable_server_it_fails_naming_the_setting_and_never_prints_the_password()
    {
        var missing = await Cli.RunAsync(TestPaths.RepoRoot, null, CliTimeout, "cluster", "status", "--json");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("Cluster:Nats:Url is not set", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal("", missing.Stdout);

        var port = MosquittoBroker.FreePort(); // nothing listens there
        var unreachable = await Cli.RunAsync(
            TestPaths.RepoRoot, new Dictionary<string, string> { ["FACEWATCH_Cluster__Nats__Url"] = $"nats://watcher:s3cret@127.0.0.1:{port}" }, CliTimeout, "cluster", "status");
        Assert.NotEqual(0, unreachable.ExitCode);
        Assert.Contains($"Cluster:Nats:Url = nats://***@127.0.0.1:{port}", unreachable.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", unreachable.Stderr + unreachable.Stdout, StringComparison.Ordinal);
        await Task.CompletedTask.WaitAsync(Bounded);
    }
}
