using FaceWatch.Core.Health;

namespace FaceWatch.Pipeline.Capture;

/// <summary>
/// Holds a camera to its <c>DetectFps</c>: admits a frame when its capture time is due and counts the others as
/// skipped. A third of a period of slack, so a camera slightly faster than <c>DetectFps</c> does not halve the rate.
/// </summary>
public sealed class FramePacer(double detectFps, long timestampFrequency, CameraStats stats)
{
    private readonly long _interval = (long)(timestampFrequency / detectFps);
    private long _nextDue;

    public bool Admit(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.CaptureTimestamp + (_interval / 3) < _nextDue)
        {
            stats.OnSkipped();
            return false;
        }

        _nextDue = Math.Max(_nextDue + _interval, frame.CaptureTimestamp + (_interval / 2));
        return true;
    }
}
