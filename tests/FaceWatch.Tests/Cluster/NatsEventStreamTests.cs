using System.Text;
using FaceWatch.Cluster;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace FaceWatch.Tests.Cluster;

/// <summary>The cluster's event stream on a real nats-server: one event stored once however often it is published, stale owners dropped.</summary>
[Trait("Category", "Slow")]
public sealed class NatsEventStreamTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));
    private NatsServer _server = null!;
    private NatsConnection _connection = null!;
    private NatsJSContext _js = null!;
    private ClusterEventStream _stream = null!;

    private CancellationToken Bounded => _timeout.Token;

    public async Task InitializeAsync()
    {
        _server = await NatsServer.StartAsync();
        _connection = new NatsConnection(new NatsOpts { Url = _server.Url, Name = "events-test" });
        _js = new NatsJSContext(_connection);
        _stream = new ClusterEventStream(_js);
        await _stream.EnsureAsync(replicas: 1, Bounded);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _server.DisposeAsync();
        _timeout.Dispose();
    }

    private static ClusterEvent Event(string camera, ulong epoch, string track, string kind, int sequence = 0, string node = "a", string site = "home") =>
        new(site, camera, epoch, node, track, kind, sequence, Encoding.UTF8.GetBytes($"{{\"camera\":\"{camera}\",\"track\":\"{track}\",\"kind\":\"{kind}\"}}"));

    private async Task<long> StoredAsync() => (await _js.GetStreamAsync(ClusterEventStream.StreamName, cancellationToken: Bounded)).Info.State.Messages;

    [Fact]
    public async Task The_same_event_published_twice_is_stored_once_and_different_events_are_all_stored()
    {
        var first = await _stream.PublishAsync(Event("front door", 7, "t1", "arrived"), Bounded);
        // a replay (reconnect, or the same owner again): same camera, epoch, track, kind and sequence; the JSON may differ
        var again = await _stream.PublishAsync(Event("front door", 7, "t1", "arrived") with { Json = "{}"u8.ToArray() }, Bounded);
        Assert.False(first.Duplicate);
        Assert.True(again.Duplicate);
        Assert.Equal(first.Sequence, again.Sequence);
        Assert.Equal(1, await StoredAsync());

        // different events: another kind, a repeated kind with the next sequence, another track, another epoch, another camera
        foreach (var e in new[]
        {
            Event("front door", 7, "t1", "changed"), Event("front door", 7, "t1", "changed", sequence: 1), Event("front door", 7, "t2", "arrived"),
            Event("front door", 9, "t1", "arrived"), Event("garage", 7, "t1", "arrived"), Event("front door", 7, "t1", "arrived", site: "office"),
        })
        {
            Assert.False((await _stream.PublishAsync(e, Bounded)).Duplicate, ClusterEventStream.MessageId(e));
        }

        Assert.Equal(7, await StoredAsync());
        Assert.Equal("home.front=20door.7.t1.changed.1", ClusterEventStream.MessageId(Event("front door", 7, "t1", "changed", sequence: 1)));
    }

    [Fact]
    public async Task The_reader_drops_events_whose_epoch_is_older_than_the_newest_seen_for_the_camera()
    {
        // the old owner (epoch 5) keeps publishing after the new one (epoch 8) took over; another camera's epoch is its own
        ClusterEvent[] published =
        [
            Event("door", 5, "t1", "arrived", node: "a"), Event("door", 8, "t2", "arrived", node: "b"), Event("door", 5, "t1", "left", node: "a"),
            Event("garage", 3, "t1", "arrived", node: "a"), Event("door", 8, "t2", "left", node: "b"), Event("garage", 3, "t1", "left", node: "a"),
        ];
        foreach (var e in published)
        {
            await _stream.PublishAsync(e, Bounded);
        }

        var read = new List<ClusterEvent>();
        await foreach (var e in _stream.ReadAsync("home", Bounded))
        {
            read.Add(e);
            if (e.Camera == "garage" && e.Kind == "left")
            {
                break;
            }
        }

        Assert.Equal(
            ["door/5/t1/arrived/a", "door/8/t2/arrived/b", "garage/3/t1/arrived/a", "door/8/t2/left/b", "garage/3/t1/left/a"],
            read.Select(e => $"{e.Camera}/{e.Epoch}/{e.Track}/{e.Kind}/{e.Node}"));
        Assert.All(read, e => Assert.True(e.StreamSequence > 0));
        Assert.Equal("{\"camera\":\"door\",\"track\":\"t2\",\"kind\":\"arrived\"}", Encoding.UTF8.GetString(read[1].Json.Span));
    }

    [Fact]
    public void The_epoch_filter_keeps_the_newest_epoch_per_camera()
    {
        var filter = new EpochFilter();
        Assert.True(filter.Accept(Event("door", 4, "t", "arrived")));
        Assert.True(filter.Accept(Event("door", 6, "t", "arrived")));
        Assert.True(filter.Accept(Event("door", 6, "t", "left")));
        Assert.False(filter.Accept(Event("door", 4, "t", "left")));
        Assert.True(filter.Accept(Event("door", 1, "t", "arrived", site: "office")));
        Assert.Equal(6UL, filter.NewestEpoch("home", "door"));
        Assert.Null(filter.NewestEpoch("home", "garage"));
    }
}
