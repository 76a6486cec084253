namespace FaceWatch.Core.Health;

/// <summary>
/// Rate limit for log lines an outsider can trigger (a refused client, a request without a token): per kind, the
/// first occurrence is logged at once, later ones within <c>window</c> only counted, and the next line logged after
/// the window says how many were not. Kinds are the caller's fixed names, never values from outside, so the table
/// stays small.
/// </summary>
public sealed class LogThrottle
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long LoggedAt, long Suppressed)> _kinds = new(StringComparer.Ordinal);

    public LogThrottle(TimeProvider? time = null, TimeSpan? window = null)
    {
        _time = time ?? TimeProvider.System;
        _window = window ?? TimeSpan.FromSeconds(60);
    }

    /// <summary>True when a line of <paramref name="kind"/> may be logged now; <paramref name="suppressed"/> is how many were dropped since the last one.</summary>
    public bool ShouldLog(string kind, out long suppressed)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_kinds.TryGetValue(kind, out var state) && _time.GetElapsedTime(state.LoggedAt, now) < _window)
            {
                _kinds[kind] = (state.LoggedAt, state.Suppressed + 1);
                suppressed = 0;
                return false;
            }

            suppressed = state.Suppressed;
            _kinds[kind] = (now, 0);
            return true;
        }
    }
}
