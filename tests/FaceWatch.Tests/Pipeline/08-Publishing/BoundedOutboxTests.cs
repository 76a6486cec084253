using FaceWatch.Pipeline.Publishing;

namespace FaceWatch.Tests.Pipeline.Publishing;

public class BoundedOutboxTests
{
    private sealed record Item(int N);

    [Fact]
    public void Items_leave_in_order_and_only_when_removed()
    {
        var outbox = new BoundedOutbox<Item>(10);
        var items = Enumerable.Range(0, 5).Select(n => new Item(n)).ToArray();
        foreach (var item in items)
        {
            Assert.Null(outbox.Enqueue(item));
        }

        var sent = new List<int>();
        while (outbox.TryPeek(out var head))
        {
            Assert.True(outbox.TryPeek(out var again));
            Assert.Same(head, again); // peeking twice does not consume: a failed send retries the same item
            sent.Add(head.N);
            Assert.True(outbox.Remove(head));
        }

        Assert.Equal([0, 1, 2, 3, 4], sent);
        Assert.Equal(0, outbox.Count);
    }

    [Fact]
    public void When_full_the_oldest_is_dropped_and_counted()
    {
        var outbox = new BoundedOutbox<Item>(3);
        var items = Enumerable.Range(0, 5).Select(n => new Item(n)).ToArray();
        var dropped = items.Select(outbox.Enqueue).Where(d => d is not null).Select(d => d!.N).ToArray();

        Assert.Equal([0, 1], dropped);
        Assert.Equal(2, outbox.Dropped);
        Assert.Equal(3, outbox.Count);
        Assert.True(outbox.TryPeek(out var head));
        Assert.Equal(2, head.N);
    }

    [Fact]
    public void Removing_an_in_flight_item_that_was_dropped_meanwhile_removes_nothing_else()
    {
        var outbox = new BoundedOutbox<Item>(2);
        var first = new Item(1);
        outbox.Enqueue(first);
        outbox.Enqueue(new Item(2));
        Assert.True(outbox.TryPeek(out var inFlight));
        outbox.Enqueue(new Item(3)); // drops the in-flight head

        Assert.False(outbox.Remove(inFlight));
        Assert.Equal(2, outbox.Count);
        Assert.True(outbox.TryPeek(out var head));
        Assert.Equal(2, head.N);
    }

    [Fact]
    public async Task WhenNotEmpty_completes_on_the_next_enqueue()
    {
        var outbox = new BoundedOutbox<Item>(2);
        var waiting = outbox.WhenNotEmpty();
        Assert.False(waiting.IsCompleted);
        outbox.Enqueue(new Item(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(outbox.WhenNotEmpty().IsCompleted);
    }
}
