using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Tracking;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Workers;

/// <summary>
/// Plumbing around one camera's <see cref="VisitTracker"/>, shared by its detection worker (sightings, track ends) and
/// the embedding worker (identifications): serialises the calls under one lock and writes the events the tracker makes
/// to the outbox in order (an overflow list keeps the order when the outbox is full). Thread-safe.
/// </summary>
public sealed class TrackBook
{
    private readonly Lock _gate = new();
    private readonly VisitTracker _visits;
    private readonly EventOutbox _outbox;
    private readonly TimeProvider _time;
    private readonly List<IdentityEvent> _made = [];
    private readonly List<IdentityEvent> _overflow = [];
    private long? _epoch;

    public TrackBook(string camera, IdentityOptions options, EventOutbox outbox, TimeProvider time, TrackIdSource? ids = null)
    {
        _visits = new VisitTracker(camera, options, time, ids ?? new TrackIdSource(1_000_000_000_000));
        _outbox = outbox;
        _time = time;
    }

    public string Camera => _visits.Camera;

    /// <summary>How many best faces an <c>unknown</c> visit hands over in its <c>left</c> (0: none; see <see cref="VisitTracker.KeepFaces"/>).</summary>
    public int KeepFaces
    {
        get => _visits.KeepFaces;
        init => _visits.KeepFaces = value;
    }

    /// <summary>
    /// The camera's ownership epoch stamped on every event made from now on (<see cref="IdentityEvent.Epoch"/>). The
    /// detection worker ends every track before it moves to a new epoch, so a visit's events all carry one epoch.
    /// </summary>
    public long? Epoch
    {
        get
        {
            lock (_gate)
            {
                return _epoch;
            }
        }

        set
        {
            lock (_gate)
            {
                _epoch = value;
            }
        }
    }

    /// <summary>Splits, swaps, rejoins and verifications so far (for the bench).</summary>
    public (long Splits, long Swaps, long Rejoins, long Verifications) Counters
    {
        get
        {
            lock (_gate)
            {
                return (_visits.Splits, _visits.Swaps, _visits.Rejoins, _visits.Verifications);
            }
        }
    }

    /// <summary>Detection worker: a confirmed track was seen in a frame of the given size.</summary>
    public void Seen(Track track, Size frameSize)
    {
        lock (_gate)
        {
            _visits.Seen(track, frameSize);
        }
    }

    /// <summary>Detection worker: whether to embed this face of the track now.</summary>
    public bool ShouldEmbed(long trackId, double faceSize, double sharpness, long timestamp)
    {
        lock (_gate)
        {
            return _visits.ShouldEmbed(trackId, faceSize, sharpness, timestamp);
        }
    }

    /// <summary>Detection worker: false while the track needs no embedding, so its face need not be aligned or measured.</summary>
    public bool MayEmbed(long trackId, long timestamp)
    {
        lock (_gate)
        {
            return _visits.MayEmbed(trackId, timestamp);
        }
    }

    /// <summary>The visit of a track and its decision (null while in doubt), for overlays.</summary>
    public VisitView? ViewOf(long trackId)
    {
        lock (_gate)
        {
            return _visits.ViewOf(trackId);
        }
    }

    /// <summary>Embedding worker: one identification of a face of <paramref name="trackId"/> (see <see cref="VisitTracker.Identified"/>).</summary>
    public void Identified(
        long trackId, IdentityObservation observation, ReadOnlySpan<float> embedding, double sameFace, long captureTimestamp, Func<byte[]>? faceJpeg = null,
        Identification.Identifier? identifier = null, double quality = 0)
    {
        lock (_gate)
        {
            _visits.Identified(trackId, observation, embedding, sameFace, captureTimestamp, faceJpeg, _made, identifier, quality);
            EmitMade();
        }
    }

    /// <summary>Detection worker: the track ended.</summary>
    public void Ended(long trackId, long timestamp)
    {
        lock (_gate)
        {
            _visits.Ended(trackId, timestamp, _made);
            EmitMade();
        }
    }

    /// <summary>Detection worker: these tracks ended now.</summary>
    public void End(IReadOnlyList<Track> ended)
    {
        ArgumentNullException.ThrowIfNull(ended);
        var now = _time.GetTimestamp();
        foreach (var track in ended)
        {
            Ended(track.Id, now);
        }
    }

    /// <summary>Detection worker, after every batch of frames: <see cref="Sweep"/> now, then hand over what the outbox could not take.</summary>
    public async ValueTask SweepAndFlushAsync(bool all, CancellationToken cancellationToken)
    {
        Sweep(_time.GetTimestamp(), all);
        await FlushOverflowAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Detection worker, on every loop: <c>left</c> for lingering visits nobody rejoined in time (all of them with <paramref name="all"/>).</summary>
    public void Sweep(long timestamp, bool all = false)
    {
        lock (_gate)
        {
            _visits.Sweep(timestamp, all, _made);
            EmitMade();
        }
    }

    /// <summary>Writes the events that did not fit the outbox at once, waiting for room (rare: outbox full).</summary>
    public async ValueTask FlushOverflowAsync(CancellationToken cancellationToken)
    {
        foreach (var e in TakeOverflow())
        {
            await _outbox.WriteAsync(e, cancellationToken).ConfigureAwait(false);
        }
    }

    private IdentityEvent[] TakeOverflow()
    {
        lock (_gate)
        {
            if (_overflow.Count == 0)
            {
                return [];
            }

            var taken = _overflow.ToArray();
            _overflow.Clear();
            return taken;
        }
    }

    private void EmitMade()
    {
        foreach (var made in _made)
        {
            var e = _epoch is null ? made : made with { Epoch = _epoch };
            // Keep order: once anything waits in the overflow, later events queue behind it.
            if (_overflow.Count > 0 || !_outbox.TryWrite(e))
            {
                _overflow.Add(e);
            }
        }

        _made.Clear();
    }
}
