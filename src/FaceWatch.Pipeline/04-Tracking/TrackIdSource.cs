namespace FaceWatch.Pipeline.Tracking;

/// <summary>
/// Hands out one camera's track ids: the tracker for new tracks and the identity stage for a track split into a new
/// visit draw from the same counter, so an id is never used twice on a camera. Thread-safe.
/// </summary>
public sealed class TrackIdSource(long first = 1)
{
    private long _next = first;

    public long Next() => Interlocked.Increment(ref _next) - 1;
}
