using System.Threading.Channels;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Pipeline.Publishing;

/// <summary>
/// The in-process event stream: the pipeline publishes identity events, each subscriber (MQTT,
/// console log, web view) reads its own bounded channel. Events never drop silently: a full
/// subscriber makes the publisher wait, and every wait is counted.
/// </summary>
public sealed class IdentityEventHub
{
    private readonly Lock _gate = new();
    private Channel<IdentityEvent>[] _subscribers = [];
    private long _waits;

    /// <summary>How often a publisher had to wait for a full subscriber.</summary>
    public long BackpressureWaits => Interlocked.Read(ref _waits);

    /// <summary>Adds a subscriber with its own queue of <paramref name="capacity"/> events (full mode: the writer waits).</summary>
    public ChannelReader<IdentityEvent> Subscribe(int capacity = 1024)
    {
        var channel = Channel.CreateBounded<IdentityEvent>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        lock (_gate)
        {
            _subscribers = [.. _subscribers, channel];
        }

        return channel.Reader;
    }

    public async ValueTask PublishAsync(IdentityEvent identityEvent, CancellationToken cancellationToken)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            if (!subscriber.Writer.TryWrite(identityEvent))
            {
                Interlocked.Increment(ref _waits);
                await subscriber.Writer.WriteAsync(identityEvent, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>No more events: subscribers finish reading what is queued, then their loops end.</summary>
    public void Complete()
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Writer.TryComplete();
        }
    }
}
