using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Tracking;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Identity;

/// <summary>What the overlay draws for a track: the visit it belongs to and that visit's decision (null while in doubt).</summary>
public readonly record struct VisitView(long VisitId, IdentityDecision? Decision);

// Size: the visit state machine (arrive, verify, split, rejoin, leave) is pure and decided in one place; its rules are documented and tested together (docs/identity.md).
/// <summary>
/// Turns one camera's tracks and identifications into visits and their <c>arrived</c>/<c>changed</c>/<c>left</c> events,
/// without I/O (events are appended to the caller's list). A visit keeps an appearance template; a track lends its
/// visit's name to a face only while that face matches the template:
/// <list type="bullet">
/// <item>when the tracker doubts a match (a gap, a shot cut, a jump, the end of a crossing) the visit's name is withheld
/// and the face is embedded at once; a settled visit is re-verified every <c>VerifySeconds</c>;</item>
/// <item>a face that does not match (cosine below the gallery's same-person threshold) under doubt, or twice in a row
/// without, splits the track: the old visit ends (its <c>left</c> carries the last box from before the change) and a
/// new visit starts with its own decision and <c>arrived</c>, whose <c>reason</c> says why;</item>
/// <item>two tracks in doubt whose faces match each other's templates (people who crossed) swap visits instead;</item>
/// <item>a new visit whose face matches a visit that ended moments ago (<c>RejoinSeconds</c>) continues that visit.</item>
/// </list>
/// Single-threaded: the caller serialises calls (see <c>TrackBook</c>).
/// </summary>
public sealed class VisitTracker
{
    /// <summary><c>reason</c> of a split on a mismatch that no tracker doubt announced.</summary>
    public const string AppearanceChange = "appearance-change";

    // While in doubt, ask again for an embedding if none came back within this time (the crop queue may drop it).
    private const double DoubtRetrySeconds = 0.25;

    private readonly Dictionary<long, Visit> _visits = [];
    private readonly List<(Visit Visit, long Deadline)> _lingering = [];
    private readonly IdentityOptions _options;
    private readonly TimeProvider _time;
    private readonly TrackIdSource _ids;

    public VisitTracker(string camera, IdentityOptions options, TimeProvider time, TrackIdSource ids)
    {
        Camera = camera;
        _options = options;
        _time = time;
        _ids = ids;
    }

    public string Camera { get; }

    /// <summary>Tracks split into a new visit because the face changed.</summary>
    public long Splits { get; private set; }

    /// <summary>Pairs of tracks that swapped visits (crossings).</summary>
    public long Swaps { get; private set; }

    /// <summary>Visits continued by a new track whose face matched.</summary>
    public long Rejoins { get; private set; }

    /// <summary>Faces embedded because continuity was in doubt or a settled visit was due for verification.</summary>
    public long Verifications { get; private set; }

    /// <summary>
    /// How many best faces (crop JPEG, embedding, quality) a visit not decided as a known person keeps, handed over in
    /// the <c>left</c> of an <c>unknown</c> visit (<see cref="IdentityEvent.Faces"/>) for the stranger store. 0 (the
    /// default, <c>Strangers:Enabled</c> off): nothing is kept or encoded.
    /// </summary>
    public int KeepFaces { get; set; }

    /// <summary>A confirmed track was seen (matched or coasting) in a frame of <paramref name="frameSize"/>.</summary>
    public void Seen(Track track, Size frameSize)
    {
        ArgumentNullException.ThrowIfNull(track);
        if (!_visits.TryGetValue(track.Id, out var visit))
        {
            visit = new Visit(track.Id, _options, _time, track.FirstSeen);
            _visits[track.Id] = visit;
        }

        if (track.Doubt != ContinuityDoubt.None && !visit.Template.IsEmpty && visit.Doubt is null)
        {
            visit.Doubt = ContinuityReasons.Of(track.Doubt);
            visit.DoubtSince = track.LastSeen;
            visit.DoubtFrom = track.LastUpdate;
        }

        if (visit.Doubt is null)
        {
            visit.TrustedBox = track.Box;
            visit.TrustedLastSeen = track.LastSeen;
        }

        if (track.Detection is not null)
        {
            visit.Remember(track.LastUpdate, track.Box, track.LastSeen);
            visit.FirstDetected ??= track.LastUpdate;
            visit.LastDetected = track.LastUpdate;
        }

        visit.LastSeen = track.LastSeen;
        visit.Box = track.Box;
        visit.FrameSize = frameSize;
    }

    /// <summary>False while the track's visit needs no embedding now, so its face need not be aligned or measured.</summary>
    public bool MayEmbed(long trackId, long timestamp) =>
        _visits.TryGetValue(trackId, out var visit) && (visit.Doubt is not null || !visit.Scheduler.Resting(Settled(visit), timestamp));

    /// <summary>Whether to embed this face of the track now (see <see cref="EmbedScheduler"/>; at once while in doubt).</summary>
    public bool ShouldEmbed(long trackId, double faceSize, double sharpness, long timestamp)
    {
        if (!_visits.TryGetValue(trackId, out var visit))
        {
            return false;
        }

        var settled = Settled(visit);
        var embed = visit.Scheduler.ShouldEmbed(faceSize, sharpness, settled, timestamp, visit.Doubt is not null, DoubtRetrySeconds);
        if (embed && (settled || visit.Doubt is not null))
        {
            Verifications++;
        }

        return embed;
    }

    /// <summary>The visit of a track and its decision; the decision is null while the face is in doubt.</summary>
    public VisitView? ViewOf(long trackId) =>
        _visits.TryGetValue(trackId, out var visit) ? new VisitView(visit.PublicId, visit.Doubt is null ? visit.Voter.Current : null) : null;

    /// <summary>
    /// One identification of a face of <paramref name="trackId"/> with its L2-normalised <paramref name="embedding"/>;
    /// <paramref name="sameFace"/> is the gallery's same-person cosine threshold. May append events.
    /// <paramref name="faceJpeg"/> encodes the crop; called only for an <c>arrived</c> event. With an
    /// <paramref name="identifier"/>, a visit with two or more accepted faces is judged on its accumulated evidence
    /// (the mean of its faces' embeddings, at the gallery's threshold for that many observations) instead of this face
    /// alone: several consistent sightings can name a person no single one could, while a stranger's lucky sighting is
    /// averaged away. A first face alone names the visit only if it clears the bar of two faces.
    /// With <see cref="KeepFaces"/>, <paramref name="faceJpeg"/> is also called for a face whose <paramref name="quality"/>
    /// (face size x sharpness; the observation's weight when 0) beats the visit's kept faces.
    /// </summary>
    public void Identified(
        long trackId, IdentityObservation observation, ReadOnlySpan<float> embedding, double sameFace, long captureTimestamp,
        Func<byte[]>? faceJpeg, ICollection<IdentityEvent> events, Identification.Identifier? identifier = null, double quality = 0)
    {
        ArgumentNullException.ThrowIfNull(observation);
        ArgumentNullException.ThrowIfNull(events);
        if (!_visits.TryGetValue(trackId, out var visit))
        {
            return; // the track ended while its face waited for the embedder
        }

        if (visit.Doubt is not null && captureTimestamp < visit.DoubtFrom)
        {
            // A face captured before the doubt (still in the embedder's queue when a cut came) says nothing about who is there now.
            return;
        }

        Visit? splitFrom = null;
        var otherFace = !visit.Template.IsEmpty && visit.Template.Similarity(embedding) < sameFace;
        // The gallery names this face as another enrolled person than the visit's: not the same face either, but a
        // single such answer can be a poor view of the same face, so it needs a second one even under doubt.
        var otherName = visit.Voter.Current is { Known: true } current && observation.Known && observation.Name != current.Name;
        visit.Disagreements = otherName && !otherFace ? visit.Disagreements + 1 : 0;
        if (otherFace || otherName)
        {
            if (visit.Doubt is null || (!otherFace && visit.Disagreements < 2))
            {
                // Withhold the name and look again at once.
                if (visit.Doubt is null)
                {
                    visit.Doubt = AppearanceChange;
                    visit.DoubtFrom = captureTimestamp;
                }

                visit.DoubtSince = visit.LastSeen;
                return;
            }

            var previous = visit;
            visit = (otherFace ? TrySwap(trackId, visit, embedding, sameFace) : null) ?? Split(trackId, visit, captureTimestamp, events);
            splitFrom = ReferenceEquals(visit, previous) ? null : previous;
        }
        else
        {
            visit.Verified(captureTimestamp);
        }

        visit.Doubt = null;
        if (!visit.Announced && TryRejoin(trackId, observation, embedding, sameFace, splitFrom) is { } rejoined)
        {
            visit = rejoined;
        }

        visit.Template.Add(embedding, observation.Weight);
        if (KeepFaces > 0 && faceJpeg is not null && visit.Voter.Current is not { Known: true })
        {
            visit.KeepFace(KeepFaces, quality > 0 ? quality : observation.Weight, embedding, _time.GetUtcNow() - _time.GetElapsedTime(captureTimestamp), faceJpeg);
        }

        if (identifier is not null)
        {
            if (visit.Template.Count == 1 && observation.Known && observation.Score < identifier.Gallery.Thresholds.ScoreFor(2))
            {
                // A first face names the visit only if it clears the bar of two faces' evidence: one face's bar is set for
                // photos, and a visit would get that chance on top of its evidence checks. A weaker one waits for the next.
                return;
            }

            if (visit.Template.Count >= 2)
            {
                observation = IdentityObservation.From(identifier.Identify(visit.Template.Unit, visit.Template.Count), observation.Weight);
            }
        }

        var decision = visit.Voter.Add(observation);
        if (decision is null)
        {
            return;
        }

        var kind = decision.IsChange && visit.Announced ? IdentityEventKind.Changed : IdentityEventKind.Arrived;
        var reason = kind == IdentityEventKind.Changed ? decision.Reason : visit.SplitReason;
        var identityEvent = Make(visit, kind, decision.Name, decision.Known, decision.Confidence, captureTimestamp, reason) with
        {
            Nearest = observation.Nearest,
            Similarity = Math.Round(observation.Similarity, 4),
            Margin = observation.Margin is { } margin ? Math.Round(margin, 4) : null,
            Evidence = observation.Observations,
        };
        if (kind == IdentityEventKind.Arrived && faceJpeg is not null)
        {
            identityEvent = identityEvent with { FaceJpeg = faceJpeg() };
        }

        visit.Announced = true;
        events.Add(identityEvent);
    }

    /// <summary>
    /// The track ended. An announced known person lingers for <c>RejoinSeconds</c> (see <see cref="Sweep"/>); anyone else
    /// gets their <c>left</c> now. Unannounced visits end silently.
    /// </summary>
    public void Ended(long trackId, long timestamp, ICollection<IdentityEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (!_visits.Remove(trackId, out var visit) || !visit.Announced || visit.Voter.Current is not { } decision)
        {
            return;
        }

        if (visit.Doubt is not null)
        {
            // It ended before the doubt was settled: the visit ends with the last face known to be this person.
            (visit.Box, visit.LastSeen) = visit.LastVerified ?? (visit.TrustedBox, visit.TrustedLastSeen);
        }

        if (decision.Known && _options.RejoinSeconds > 0)
        {
            Linger(visit, timestamp);
            return;
        }

        events.Add(Left(visit, timestamp));
    }

    /// <summary><c>left</c> for lingering visits nobody rejoined in time (all of them with <paramref name="all"/>).</summary>
    public void Sweep(long timestamp, bool all, ICollection<IdentityEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        for (var i = _lingering.Count - 1; i >= 0; i--)
        {
            if (all || _lingering[i].Deadline <= timestamp)
            {
                events.Add(Left(_lingering[i].Visit, timestamp));
                _lingering.RemoveAt(i);
            }
        }
    }

    private bool Settled(Visit visit) => visit.Voter.Current is not null && visit.Voter.Observations >= _options.SettledObservations;

    private void Linger(Visit visit, long timestamp) =>
        _lingering.Add((visit, timestamp + (long)(_options.RejoinSeconds * _time.TimestampFrequency)));

    /// <summary>
    /// Another track in doubt whose visit's template matches this face: the two tracks swapped faces (a crossing).
    /// Swaps the visits and returns the one now on <paramref name="trackId"/>; null if there is none.
    /// </summary>
    private Visit? TrySwap(long trackId, Visit visit, ReadOnlySpan<float> embedding, double sameFace)
    {
        long other = 0;
        Visit? best = null;
        var bestSimilarity = sameFace;
        foreach (var (id, candidate) in _visits)
        {
            if (id != trackId && candidate.Doubt is not null && !candidate.Template.IsEmpty
                && candidate.Template.Similarity(embedding) is var s && s >= bestSimilarity)
            {
                (other, best, bestSimilarity) = (id, candidate, s);
            }
        }

        if (best is null)
        {
            return null;
        }

        _visits[trackId] = best;
        _visits[other] = visit; // still in doubt: verified against its own template at the other track's next face
        Swaps++;
        return best;
    }

    /// <summary>The face is someone else: the old visit ends (lingering, so a false split can rejoin) and a new one starts.</summary>
    private Visit Split(long trackId, Visit visit, long timestamp, ICollection<IdentityEvent> events)
    {
        var fresh = new Visit(_ids.Next(), _options, _time, visit.DoubtSince)
        {
            SplitReason = visit.Doubt,
            Box = visit.Box,
            FrameSize = visit.FrameSize,
            LastSeen = visit.LastSeen,
        };
        _visits[trackId] = fresh;
        Splits++;
        if (visit.Announced)
        {
            // Up to the change: the visit ended with the last face that was still this person.
            (visit.Box, visit.LastSeen) = visit.LastVerified ?? (visit.TrustedBox, visit.TrustedLastSeen);
            if (_options.RejoinSeconds > 0)
            {
                Linger(visit, timestamp);
            }
            else
            {
                events.Add(Left(visit, timestamp));
            }
        }

        return fresh;
    }

    /// <summary>
    /// A visit whose template matches this face continues on <paramref name="trackId"/>; null if none. Candidates: visits
    /// that ended moments ago (lingering), and visits of other tracks that are coasting, not detected since this track's
    /// first face (a face hidden while crossing comes back on a new track while its old one still predicts where it went).
    /// </summary>
    /// <remarks>
    /// Never the visit this face was just split from, and never a visit decided as another enrolled person than the
    /// one the gallery names this face.
    /// </remarks>
    private Visit? TryRejoin(long trackId, IdentityObservation observation, ReadOnlySpan<float> embedding, double sameFace, Visit? splitFrom)
    {
        var current = _visits[trackId];
        bool Eligible(Visit candidate) =>
            !ReferenceEquals(candidate, splitFrom) && !ReferenceEquals(candidate, current)
            && !(observation.Known && candidate.Voter.Current is { Known: true } decided && decided.Name != observation.Name);

        var index = -1;
        long coastingTrack = 0;
        Visit? coasting = null;
        var bestSimilarity = Math.Max(sameFace, _options.RejoinSimilarity);
        for (var i = 0; i < _lingering.Count; i++)
        {
            var candidate = _lingering[i].Visit;
            if (Eligible(candidate) && candidate.Template.Similarity(embedding) is var s && s >= bestSimilarity)
            {
                (index, bestSimilarity) = (i, s);
            }
        }

        foreach (var (id, candidate) in _visits)
        {
            if (id != trackId && candidate.Announced && Eligible(candidate)
                && candidate.LastDetected < (current.FirstDetected ?? long.MinValue)
                && candidate.Template.Similarity(embedding) is var s && s >= bestSimilarity)
            {
                (coastingTrack, coasting, bestSimilarity, index) = (id, candidate, s, -1);
            }
        }

        Visit previous;
        if (coasting is not null)
        {
            previous = coasting;
            // The old track keeps coasting with nothing to announce; it ends silently unless it finds a face of its own.
            _visits[coastingTrack] = new Visit(_ids.Next(), _options, _time, previous.LastSeen);
        }
        else if (index >= 0)
        {
            previous = _lingering[index].Visit;
            _lingering.RemoveAt(index);
        }
        else
        {
            return null;
        }

        previous.PriorObservations += current.Voter.Observations;
        previous.Doubt = null;
        previous.Box = current.Box;
        previous.FrameSize = current.FrameSize;
        previous.LastSeen = current.LastSeen;
        previous.TrustedBox = current.Box;
        previous.TrustedLastSeen = current.LastSeen;
        previous.LastDetected = current.LastDetected;
        _visits[trackId] = previous;
        Rejoins++;
        return previous;
    }

    private IdentityEvent Left(Visit visit, long timestamp)
    {
        var decision = visit.Voter.Current!;
        // Only a stranger's faces leave the tracker: a known person's (or an ignored stranger's) are dropped with the visit.
        var stranger = KeepFaces > 0 && !decision.Known && decision.Name == IdentityVoter.UnknownName && visit.Faces.Count > 0;
        return Make(visit, IdentityEventKind.Left, decision.Name, decision.Known, visit.Voter.BestConfidence, timestamp, null) with
        {
            DurationSeconds = Math.Round((visit.LastSeen - visit.FirstSeen).TotalSeconds, 3),
            Observations = visit.PriorObservations + visit.Voter.Observations,
            Faces = stranger ? new VisitFaces(visit.Faces) : null,
        };
    }

    private IdentityEvent Make(Visit visit, string kind, string name, bool known, double confidence, long captureTimestamp, string? reason)
    {
        var box = visit.Box;
        return new IdentityEvent
        {
            EventId = Guid.CreateVersion7().ToString("N"),
            Event = kind,
            Camera = Camera,
            TrackId = visit.PublicId,
            Name = name,
            Known = known,
            Confidence = Math.Round(Math.Clamp(confidence, 0, 1), 4),
            Box = new EventBox((int)Math.Round(box.X), (int)Math.Round(box.Y), (int)Math.Round(box.Width), (int)Math.Round(box.Height)),
            FrameWidth = visit.FrameSize.Width,
            FrameHeight = visit.FrameSize.Height,
            Timestamp = _time.GetUtcNow(),
            FirstSeen = visit.FirstSeen,
            LastSeen = visit.LastSeen,
            LatencyMs = Math.Round(_time.GetElapsedTime(captureTimestamp).TotalMilliseconds, 1),
            Reason = reason,
            Embedding = visit.Template.IsEmpty ? null : visit.Template.Unit.ToArray(),
        };
    }

    private sealed class Visit(long publicId, IdentityOptions options, TimeProvider time, DateTimeOffset firstSeen)
    {
        /// <summary>The id events carry: the first track's, or a new one after a split.</summary>
        public long PublicId { get; } = publicId;

        public IdentityVoter Voter { get; } = new(options);

        public EmbedScheduler Scheduler { get; } = new(options, time);

        public AppearanceTemplate Template { get; } = new();

        public DateTimeOffset FirstSeen { get; } = firstSeen;

        public DateTimeOffset LastSeen { get; set; } = firstSeen;

        public Rect2f Box { get; set; }

        public Size FrameSize { get; set; }

        /// <summary>Why the current face may be someone else (a <see cref="ContinuityReasons"/> word or <see cref="AppearanceChange"/>); null when verified.</summary>
        public string? Doubt { get; set; }

        public DateTimeOffset DoubtSince { get; set; } = firstSeen;

        /// <summary>Capture timestamp of the face that raised the doubt: only faces from then on can settle it.</summary>
        public long DoubtFrom { get; set; }

        /// <summary>Box and time of the last sighting before any doubt: where the visit ends if it is split.</summary>
        public Rect2f TrustedBox { get; set; }

        public DateTimeOffset TrustedLastSeen { get; set; } = firstSeen;

        /// <summary>For a visit split off another: why (the <c>reason</c> of its <c>arrived</c>).</summary>
        public string? SplitReason { get; init; }

        /// <summary>Its <c>arrived</c> was made.</summary>
        public bool Announced { get; set; }

        public int PriorObservations { get; set; }

        /// <summary>Capture timestamps of the first and the latest frame in which the visit's track was detected.</summary>
        public long? FirstDetected { get; set; }

        public long LastDetected { get; set; } = long.MinValue;

        /// <summary>Identifications in a row that named another enrolled person than the visit's.</summary>
        public int Disagreements { get; set; }

        /// <summary>Box and sighting of the frame of the latest face that matched the visit's appearance.</summary>
        public (Rect2f Box, DateTimeOffset Seen)? LastVerified { get; private set; }

        // The boxes of the latest matched frames by capture timestamp, to find the frame of an identified crop.
        private readonly Queue<(long Timestamp, Rect2f Box, DateTimeOffset Seen)> _recent = new();

        /// <summary>The best faces so far, best first (see <see cref="VisitTracker.KeepFaces"/>).</summary>
        public List<VisitFace> Faces { get; } = [];

        /// <summary>Keeps the face if it is among the <paramref name="keep"/> best; encodes its JPEG only then (the hot path stays cheap).</summary>
        public void KeepFace(int keep, double quality, ReadOnlySpan<float> embedding, DateTimeOffset seenAt, Func<byte[]> jpeg)
        {
            if (Faces.Count >= keep && quality <= Faces[^1].Quality)
            {
                return;
            }

            var at = Faces.FindIndex(f => f.Quality < quality);
            Faces.Insert(at < 0 ? Faces.Count : at, new VisitFace(jpeg(), embedding.ToArray(), quality, seenAt));
            if (Faces.Count > keep)
            {
                Faces.RemoveAt(Faces.Count - 1);
            }
        }

        public void Remember(long timestamp, Rect2f box, DateTimeOffset seen)
        {
            _recent.Enqueue((timestamp, box, seen));
            while (_recent.Count > 64)
            {
                _recent.Dequeue();
            }
        }

        /// <summary>The face of the frame captured at <paramref name="timestamp"/> matched the visit.</summary>
        public void Verified(long timestamp)
        {
            foreach (var (t, box, seen) in _recent)
            {
                if (t == timestamp)
                {
                    LastVerified = (box, seen);
                }
            }
        }
    }
}
