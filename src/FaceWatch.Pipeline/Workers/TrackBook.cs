using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Tracking;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Workers;

/// <summary>
/// The identity state of one camera's tracks, shared by its detection worker (sightings, track ends) and the
/// embedding worker (identifications). Makes the <c>arrived</c>/<c>changed</c>/<c>left</c> events, and writes them to the
/// outbox under its lock so a track's events keep their order. Thread-safe.
/// </summary>
public sealed class TrackBook
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Entry> _entries = [];
    private readonly RecognitionOptions _options;
    private readonly EventOutbox _outbox;
    private readonly TimeProvider _time;
    private readonly List<IdentityEvent> _overflow = [];
    private readonly List<(Entry Entry, long Deadline)> _lingering = [];

    public TrackBook(string camera, RecognitionOptions options, EventOutbox outbox, TimeProvider time)
    {
        Camera = camera;
        _options = options;
        _outbox = outbox;
        _time = time;
    }

    public string Camera { get; }

    /// <summary>Detection worker: a confirmed track was seen in a frame of the given size.</summary>
    public void Seen(Track track, Size frameSize)
    {
        ArgumentNullException.ThrowIfNull(track);
        lock (_gate)
        {
            if (!_entries.TryGetValue(track.Id, out var entry))
            {
                entry = new Entry(track.Id, new IdentityVoter(_options), new EmbedScheduler(_options, _time), track.FirstSeen);
                _entries[track.Id] = entry;
            }

            entry.LastSeen = track.LastSeen;
            entry.Box = track.Box;
            entry.FrameSize = frameSize;
        }
    }

    /// <summary>Detection worker: whether to embed this face of the track now (see <see cref="EmbedScheduler"/>).</summary>
    public bool ShouldEmbed(long trackId, double faceSize, double sharpness, long timestamp)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(trackId, out var entry))
            {
                return false;
            }

            return entry.Scheduler.ShouldEmbed(faceSize, sharpness, Settled(entry), timestamp);
        }
    }

    /// <summary>Detection worker: false while the track is settled and its recheck is not due, so its face need not be aligned or measured.</summary>
    public bool MayEmbed(long trackId, long timestamp)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(trackId, out var entry) && !entry.Scheduler.Resting(Settled(entry), timestamp);
        }
    }

    // Settled stays settled: the decision never goes back to none and observations only grow.
    private bool Settled(Entry entry) => entry.Voter.Current is not null && entry.Voter.Observations >= _options.SettledObservations;

    /// <summary>The current decision of a track, for overlays.</summary>
    public IdentityDecision? DecisionOf(long trackId)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(trackId, out var entry) ? entry.Voter.Current : null;
        }
    }

    /// <summary>
    /// Embedding worker: one identification of a face of <paramref name="trackId"/>; may make an arrived/changed event.
    /// <paramref name="faceJpeg"/> encodes the identified crop; it is called only for an <c>arrived</c> event, whose
    /// snapshot it becomes (published only when MQTT snapshots are on; never serialised into the payload).
    /// </summary>
    public void Identified(long trackId, IdentityObservation observation, long captureTimestamp, Func<byte[]>? faceJpeg = null)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(trackId, out var entry))
            {
                return; // the track ended while its face waited for the embedder
            }

            var decision = entry.Voter.Add(observation);
            if (decision is null)
            {
                return;
            }

            if (!decision.IsChange && decision.Known && Rejoin(entry, decision.Name))
            {
                return; // the same person again, moments after their track ended: the visit goes on
            }

            var kind = decision.IsChange ? IdentityEventKind.Changed : IdentityEventKind.Arrived;
            var identityEvent = Make(entry, kind, decision.Name, decision.Known, decision.Confidence, captureTimestamp);
            if (kind == IdentityEventKind.Arrived && faceJpeg is not null)
            {
                identityEvent = identityEvent with { FaceJpeg = faceJpeg() };
            }

            Emit(identityEvent);
        }
    }

    /// <summary>
    /// Detection worker: the track ended. An announced known person lingers for <c>RejoinSeconds</c> (see
    /// <see cref="Sweep"/>); anyone else gets their <c>left</c> now. Unannounced tracks end silently.
    /// </summary>
    public void Ended(long trackId, long timestamp)
    {
        lock (_gate)
        {
            if (!_entries.Remove(trackId, out var entry) || entry.Voter.Current is not { } decision)
            {
                return;
            }

            if (decision.Known && _options.RejoinSeconds > 0)
            {
                _lingering.Add((entry, timestamp + (long)(_options.RejoinSeconds * _time.TimestampFrequency)));
                return;
            }

            EmitLeft(entry, timestamp);
        }
    }

    /// <summary>Detection worker, on every loop: <c>left</c> for lingering tracks nobody rejoined in time (all of them with <paramref name="all"/>).</summary>
    public void Sweep(long timestamp, bool all = false)
    {
        lock (_gate)
        {
            for (var i = _lingering.Count - 1; i >= 0; i--)
            {
                if (all || _lingering[i].Deadline <= timestamp)
                {
                    EmitLeft(_lingering[i].Entry, timestamp);
                    _lingering.RemoveAt(i);
                }
            }
        }
    }

    private bool Rejoin(Entry entry, string name)
    {
        var index = _lingering.FindLastIndex(l => l.Entry.Voter.Current?.Name == name);
        if (index < 0)
        {
            return false;
        }

        var previous = _lingering[index].Entry;
        _lingering.RemoveAt(index);
        entry.PublicId = previous.PublicId;
        entry.FirstSeen = previous.FirstSeen;
        entry.PriorObservations = previous.PriorObservations + previous.Voter.Observations;
        entry.PriorBestConfidence = Math.Max(previous.PriorBestConfidence, previous.Voter.BestConfidence);
        return true;
    }

    private void EmitLeft(Entry entry, long timestamp)
    {
        var decision = entry.Voter.Current!;
        Emit(Make(entry, IdentityEventKind.Left, decision.Name, decision.Known, Math.Max(entry.PriorBestConfidence, entry.Voter.BestConfidence), timestamp) with
        {
            DurationSeconds = Math.Round((entry.LastSeen - entry.FirstSeen).TotalSeconds, 3),
            Observations = entry.PriorObservations + entry.Voter.Observations,
        });
    }

    /// <summary>Writes the events that did not fit the outbox at once, waiting for room (rare: outbox full).</summary>
    public async ValueTask FlushOverflowAsync(CancellationToken cancellationToken)
    {
        foreach (var e in TakeOverflow())
        {
            await _outbox.WriteAsync(e, cancellationToken).ConfigureAwait(false);
        }
    }

    private IReadOnlyList<IdentityEvent> TakeOverflow()
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

    private void Emit(IdentityEvent e)
    {
        // Keep order: once anything waits in the overflow, later events queue behind it.
        if (_overflow.Count > 0 || !_outbox.TryWrite(e))
        {
            _overflow.Add(e);
        }
    }

    private IdentityEvent Make(Entry entry, string kind, string name, bool known, double confidence, long captureTimestamp)
    {
        var box = entry.Box;
        return new IdentityEvent
        {
            EventId = Guid.CreateVersion7().ToString("N"),
            Event = kind,
            Camera = Camera,
            TrackId = entry.PublicId,
            Name = name,
            Known = known,
            Confidence = Math.Round(Math.Clamp(confidence, 0, 1), 4),
            Box = new EventBox((int)Math.Round(box.X), (int)Math.Round(box.Y), (int)Math.Round(box.Width), (int)Math.Round(box.Height)),
            FrameWidth = entry.FrameSize.Width,
            FrameHeight = entry.FrameSize.Height,
            Timestamp = _time.GetUtcNow(),
            FirstSeen = entry.FirstSeen,
            LastSeen = entry.LastSeen,
            LatencyMs = Math.Round(_time.GetElapsedTime(captureTimestamp).TotalMilliseconds, 1),
        };
    }

    private sealed class Entry(long trackId, IdentityVoter voter, EmbedScheduler scheduler, DateTimeOffset firstSeen)
    {
        /// <summary>The id events carry: the track's own, or the one of the track it continues after a rejoin.</summary>
        public long PublicId { get; set; } = trackId;

        public IdentityVoter Voter { get; } = voter;

        public EmbedScheduler Scheduler { get; } = scheduler;

        public DateTimeOffset FirstSeen { get; set; } = firstSeen;

        public DateTimeOffset LastSeen { get; set; } = firstSeen;

        public Rect2f Box { get; set; }

        public Size FrameSize { get; set; }

        public int PriorObservations { get; set; }

        public double PriorBestConfidence { get; set; }
    }
}
