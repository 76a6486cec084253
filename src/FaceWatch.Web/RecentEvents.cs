using System.Threading.Channels;
using FaceWatch.Pipeline.Publishing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Web;

/// <summary>
/// Keeps the last <c>Web:RecentEvents</c> identity events for <c>/api/events</c> and the page, and
/// forwards each new one to the open server-sent-event streams. A slow browser loses its oldest
/// undelivered events (its own bounded queue), never the pipeline's. Apart from those, the last
/// <see cref="Decisions"/> <c>arrived</c>/<c>changed</c> events with their evidence embedding (without the face JPEG), so a
/// match can still be rejected (<c>POST /api/events/{id}/reject</c>) after a busy minute pushed it off the page's list.
/// </summary>
public sealed class RecentEvents : BackgroundService
{
    private const int PerClientQueue = 64;

    /// <summary>How many decisions (<c>arrived</c>/<c>changed</c>) are kept for <see cref="Find"/> (about 0.6 KB each).</summary>
    public const int Decisions = 500;

    private readonly ChannelReader<IdentityEvent> _subscription;
    private readonly int _keep;
    private readonly Lock _gate = new();
    private readonly LinkedList<IdentityEvent> _recent = new();
    private readonly List<Channel<IdentityEvent>> _clients = [];
    private readonly Dictionary<string, IdentityEvent> _decisions = new(StringComparer.Ordinal);
    private readonly Queue<string> _decisionOrder = new();

    public RecentEvents(IdentityEventHub hub, IOptions<WebOptions> options)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(options);
        // Subscribed at construction so no event published after the host starts is missed.
        _subscription = hub.Subscribe();
        _keep = options.Value.RecentEvents;
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<IdentityEvent> Snapshot()
    {
        lock (_gate)
        {
            return _recent.ToArray();
        }
    }

    /// <summary>The decision (<c>arrived</c>/<c>changed</c>) or recent event with id <paramref name="eventId"/>, null when it is not kept.</summary>
    public IdentityEvent? Find(string eventId)
    {
        lock (_gate)
        {
            return _decisions.TryGetValue(eventId, out var e) ? e : _recent.FirstOrDefault(r => r.EventId == eventId);
        }
    }

    /// <summary>Takes one event as the hub delivers it (also for tests of one class).</summary>
    internal void Add(IdentityEvent e)
    {
        Channel<IdentityEvent>[] clients;
        lock (_gate)
        {
            _recent.AddFirst(e);
            while (_recent.Count > _keep)
            {
                _recent.RemoveLast();
            }

            if (e.Event is IdentityEventKind.Arrived or IdentityEventKind.Changed && _decisions.TryAdd(e.EventId, e with { FaceJpeg = null }))
            {
                _decisionOrder.Enqueue(e.EventId);
                while (_decisionOrder.Count > Decisions)
                {
                    _decisions.Remove(_decisionOrder.Dequeue());
                }
            }

            clients = [.. _clients];
        }

        foreach (var client in clients)
        {
            client.Writer.TryWrite(e);
        }
    }

    /// <summary>A stream of events from now on; complete the returned reader by disposing the lease.</summary>
    public (ChannelReader<IdentityEvent> Reader, IDisposable Lease) Listen()
    {
        var channel = Channel.CreateBounded<IdentityEvent>(new BoundedChannelOptions(PerClientQueue)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            _clients.Add(channel);
        }

        return (channel.Reader, new Lease(this, channel));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var e in _subscription.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            Add(e);
        }
    }

    private void Remove(Channel<IdentityEvent> channel)
    {
        lock (_gate)
        {
            _clients.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    private sealed class Lease(RecentEvents owner, Channel<IdentityEvent> channel) : IDisposable
    {
        public void Dispose() => owner.Remove(channel);
    }
}
