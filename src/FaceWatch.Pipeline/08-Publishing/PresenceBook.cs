using FaceWatch.Pipeline.Identity;

namespace FaceWatch.Pipeline.Publishing;

/// <summary>Who is in view of each camera now, kept from the event stream (arrived adds, changed renames, left removes).</summary>
public sealed class PresenceBook
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<long, PersonInView>> _cameras = new(StringComparer.Ordinal);

    /// <summary>Applies one event and returns the camera's people list after it.</summary>
    public PersonInView[] Apply(IdentityEvent identityEvent)
    {
        ArgumentNullException.ThrowIfNull(identityEvent);
        lock (_gate)
        {
            if (!_cameras.TryGetValue(identityEvent.Camera, out var people))
            {
                people = [];
                _cameras[identityEvent.Camera] = people;
            }

            switch (identityEvent.Event)
            {
                case IdentityEventKind.Left:
                    people.Remove(identityEvent.TrackId);
                    break;
                default:
                    // arrived or changed: keep when the track was first seen, update who it is
                    var since = people.TryGetValue(identityEvent.TrackId, out var old) ? old.Since : identityEvent.FirstSeen;
                    people[identityEvent.TrackId] = new PersonInView(
                        identityEvent.Name, identityEvent.TrackId, identityEvent.Known, identityEvent.Confidence, since);
                    break;
            }

            return [.. people.Values];
        }
    }

    public PersonInView[] Get(string camera)
    {
        lock (_gate)
        {
            return _cameras.TryGetValue(camera, out var people) ? [.. people.Values] : [];
        }
    }

    public IReadOnlyList<string> Cameras()
    {
        lock (_gate)
        {
            return [.. _cameras.Keys];
        }
    }
}
