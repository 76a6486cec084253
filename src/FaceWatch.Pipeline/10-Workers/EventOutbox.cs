using System.Threading.Channels;
using FaceWatch.Pipeline.Publishing;
using Microsoft.Extensions.Logging;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Pipeline.Workers;

/// <summary>
/// Orders identity events from all workers into one queue that <see cref="RunAsync"/> hands to the
/// <see cref="IdentityEventHub"/>, the log and <c>facewatch.events</c>. Never drops: when the queue is full the writer
/// waits, and that is counted and logged.
/// </summary>
public sealed class EventOutbox
{
    private readonly Channel<IdentityEvent> _channel;
    private readonly IdentityEventHub _hub;
    private readonly ILogger _logger;
    private readonly FaceWatchMetrics? _metrics;
    private long _waits;
    private long _published;

    public EventOutbox(IdentityEventHub hub, ILogger logger, int capacity = 4096, FaceWatchMetrics? metrics = null)
    {
        _hub = hub;
        _logger = logger;
        _metrics = metrics;
        _channel = Channel.CreateBounded<IdentityEvent>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public long Waits => Interlocked.Read(ref _waits);

    public long Published => Interlocked.Read(ref _published);

    /// <summary>Events queued and not yet handed to the hub.</summary>
    public int Pending => _channel.Reader.Count;

    /// <summary>Queues at once if there is room (keeps the order of events made under a lock); false: call <see cref="WriteAsync"/>.</summary>
    public bool TryWrite(IdentityEvent identityEvent) => _channel.Writer.TryWrite(identityEvent);

    public async ValueTask WriteAsync(IdentityEvent identityEvent, CancellationToken cancellationToken)
    {
        if (_channel.Writer.TryWrite(identityEvent))
        {
            return;
        }

        if (Interlocked.Increment(ref _waits) == 1)
        {
            Log.EventBackpressure(_logger);
        }

        await _channel.Writer.WriteAsync(identityEvent, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>No more events will be written; <see cref="RunAsync"/> ends after publishing what is queued.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Publishes every event until <see cref="Complete"/>; not cancelled by shutdown so queued events still go out.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach (var e in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            Log.Event(_logger, e.Event, e.Camera, e.TrackId, e.Name, e.Confidence, e.LatencyMs);
            await _hub.PublishAsync(e, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _published);
            _metrics?.Event(e.Event, e.Camera);
        }
    }
}
