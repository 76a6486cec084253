using System.Text.Json.Serialization;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Pipeline.Publishing;

/// <summary>The payload values of <see cref="PersonState.State"/>.</summary>
public static class PresenceStates
{
    public const string Present = "present";
    public const string Away = "away";
}

/// <summary>
/// One enrolled person's presence, the retained payload of <c>&lt;prefix&gt;/people/&lt;person&gt;</c>. <see cref="Camera"/>,
/// <see cref="LastSeen"/> and <see cref="Confidence"/> are of the last sighting (null until the first one since start).
/// </summary>
public sealed record PersonState(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("camera")] string? Camera,
    [property: JsonPropertyName("since")] DateTimeOffset Since,
    [property: JsonPropertyName("lastSeen")] DateTimeOffset? LastSeen,
    [property: JsonPropertyName("confidence")] double? Confidence);

/// <summary>What a change of the enrolled people means: the new ones (with their state) and the names no longer enrolled.</summary>
public sealed record EnrolledChange(IReadOnlyList<PersonState> Added, IReadOnlyList<string> Removed);

/// <summary>
/// Per-person presence over all cameras, pure (no network, time from a <see cref="TimeProvider"/>). A known
/// <c>arrived</c>/<c>changed</c> makes the person <c>present</c> (and is a sighting: camera, last seen, confidence); a
/// person is <c>away</c> once no camera has them in view and <see cref="AwayAfter"/> has passed since the last of their
/// tracks left (<see cref="CheckAway"/>). Only enrolled people have a state; at start (or when enrolled) they are away
/// since then. Thread-safe.
/// </summary>
public sealed class PersonPresence
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Person> _people = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Camera, long Track), string> _tracks = [];

    public PersonPresence(TimeSpan awayAfter, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(awayAfter, TimeSpan.Zero);
        AwayAfter = awayAfter;
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>How long a person stays present after the last camera lost sight of them.</summary>
    public TimeSpan AwayAfter { get; }

    /// <summary>Sets who is enrolled: new names start away (since now), removed names are forgotten.</summary>
    public EnrolledChange SetEnrolled(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var removed = _people.Keys.Where(n => !wanted.Contains(n)).Order(StringComparer.Ordinal).ToList();
            foreach (var name in removed)
            {
                _people.Remove(name);
            }

            foreach (var track in _tracks.Where(t => !wanted.Contains(t.Value)).Select(t => t.Key).ToList())
            {
                _tracks.Remove(track);
            }

            var added = new List<PersonState>();
            foreach (var name in wanted.Where(n => !_people.ContainsKey(n)).Order(StringComparer.Ordinal))
            {
                var person = new Person { State = new PersonState(name, PresenceStates.Away, null, now, null, null) };
                _people[name] = person;
                added.Add(person.State);
            }

            return new EnrolledChange(added, removed);
        }
    }

    /// <summary>Applies one identity event; returns the person's new state when it changed (a sighting, present, or the track leaving).</summary>
    public PersonState? Apply(IdentityEvent identityEvent)
    {
        ArgumentNullException.ThrowIfNull(identityEvent);
        lock (_gate)
        {
            var key = (identityEvent.Camera, identityEvent.TrackId);
            var now = _time.GetUtcNow();
            // the track no longer shows whom it showed (it left, or it was renamed)
            var before = _tracks.Remove(key, out var old) && _people.TryGetValue(old, out var oldPerson) ? oldPerson : null;
            before?.Tracks.Remove(key);
            if (before is { Tracks.Count: 0 })
            {
                before.OutOfViewAt = now;
            }

            if (identityEvent.Event == IdentityEventKind.Left || !identityEvent.Known
                || !_people.TryGetValue(identityEvent.Name, out var person))
            {
                if (before is not null && identityEvent.Event == IdentityEventKind.Left && identityEvent.Name == before.State.Name)
                {
                    before.State = before.State with { LastSeen = identityEvent.LastSeen };
                    return before.State;
                }

                return null;
            }

            _tracks[key] = identityEvent.Name;
            person.Tracks.Add(key);
            var state = person.State;
            person.State = state with
            {
                State = PresenceStates.Present,
                Since = state.State == PresenceStates.Present ? state.Since : identityEvent.FirstSeen,
                Camera = identityEvent.Camera,
                LastSeen = identityEvent.LastSeen,
                Confidence = identityEvent.Confidence,
            };
            return person.State;
        }
    }

    /// <summary>The people who became away by now (present, in view of no camera, and out of view for <see cref="AwayAfter"/>).</summary>
    public IReadOnlyList<PersonState> CheckAway()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var changed = new List<PersonState>();
            foreach (var person in _people.Values)
            {
                if (person.State.State == PresenceStates.Present && person.Tracks.Count == 0 && person.OutOfViewAt + AwayAfter <= now)
                {
                    person.State = person.State with { State = PresenceStates.Away, Since = person.OutOfViewAt + AwayAfter };
                    changed.Add(person.State);
                }
            }

            return changed;
        }
    }

    /// <summary>Every enrolled person's state, in name order.</summary>
    public IReadOnlyList<PersonState> All()
    {
        lock (_gate)
        {
            return [.. _people.Values.Select(p => p.State).OrderBy(s => s.Name, StringComparer.Ordinal)];
        }
    }

    public PersonState? Get(string name)
    {
        lock (_gate)
        {
            return _people.TryGetValue(name, out var person) ? person.State : null;
        }
    }

    private sealed class Person
    {
        public required PersonState State { get; set; }

        public HashSet<(string Camera, long Track)> Tracks { get; } = [];

        public DateTimeOffset OutOfViewAt { get; set; }
    }
}
