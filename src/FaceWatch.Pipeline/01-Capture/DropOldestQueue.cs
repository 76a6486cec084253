using System.Threading.Channels;

namespace FaceWatch.Pipeline.Capture;

/// <summary>
/// A bounded queue where the newest item wins: when full, the oldest item is dropped, disposed and counted.
/// Writing hands ownership of the item to the queue; the reader disposes what it reads.
/// </summary>
public sealed class DropOldestQueue<T> : IDisposable
    where T : class, IDisposable
{
    private readonly Channel<T> _channel;
    private readonly Action<T>? _onDropped;
    private long _dropped;

    public DropOldestQueue(int capacity, bool singleWriter, Action<T>? onDropped = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _onDropped = onDropped;
        _channel = Channel.CreateBounded<T>(
            new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = singleWriter,
            },
            Dropped);
    }

    public ChannelReader<T> Reader => _channel.Reader;

    public long DroppedCount => Interlocked.Read(ref _dropped);

    public int Count => _channel.Reader.Count;

    /// <summary>Queues <paramref name="item"/>; if the queue is closed the item is disposed here.</summary>
    public void Write(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!_channel.Writer.TryWrite(item))
        {
            item.Dispose();
        }
    }

    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Closes the queue and disposes what is still in it.</summary>
    public void Dispose()
    {
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out var item))
        {
            item.Dispose();
        }
    }

    private void Dropped(T item)
    {
        Interlocked.Increment(ref _dropped);
        _onDropped?.Invoke(item);
        item.Dispose();
    }
}
