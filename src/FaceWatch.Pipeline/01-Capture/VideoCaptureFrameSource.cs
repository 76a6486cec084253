using System.Globalization;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Capture;

/// <summary>
/// A device (<c>0</c>, <c>/dev/video0</c>) or a video file through OpenCV's VideoCapture.
/// Files are paced at their own frame rate so a file behaves like a camera, and restart at the end when <c>Loop</c> is on.
/// </summary>
public sealed class VideoCaptureFrameSource : IFrameSource
{
    private readonly CameraOptions _camera;
    private readonly bool _isFile;
    private readonly TimeProvider _time;
    private VideoCapture? _capture;
    private double _frameInterval; // seconds per frame, files only
    private long _nextDue;
    private volatile bool _aborted;

    private readonly long _maxFramePixels;

    public VideoCaptureFrameSource(CameraOptions camera, bool isFile, TimeProvider time, long maxFramePixels = CaptureOptions.DefaultMaxFramePixels)
    {
        _camera = camera;
        _isFile = isFile;
        _time = time;
        _maxFramePixels = maxFramePixels;
    }

    public bool EndIsFinal => _isFile && !_camera.Loop;

    public void Open(CancellationToken cancellationToken)
    {
        if (_isFile)
        {
            var path = Path.GetFullPath(_camera.Source);
            if (!File.Exists(path))
            {
                throw new CameraException($"file '{path}' does not exist");
            }

            _capture = new VideoCapture(path);
            if (!_capture.IsOpened())
            {
                throw new CameraException($"file '{path}' is not a video OpenCV can read");
            }

            CheckFrameSize((long)_capture.Get(VideoCaptureProperties.FrameWidth), (long)_capture.Get(VideoCaptureProperties.FrameHeight));
            var fps = _capture.Get(VideoCaptureProperties.Fps);
            _frameInterval = fps is > 0 and < 1000 ? 1.0 / fps : 1.0 / 25;
            _nextDue = _time.GetTimestamp();
            return;
        }

        _capture = int.TryParse(_camera.Source, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? new VideoCapture(index, OperatingSystem.IsLinux() ? VideoCaptureAPIs.V4L2 : VideoCaptureAPIs.ANY)
            : new VideoCapture(_camera.Source, OperatingSystem.IsLinux() ? VideoCaptureAPIs.V4L2 : VideoCaptureAPIs.ANY);
        if (!_capture.IsOpened())
        {
            throw new CameraException($"device '{_camera.Source}' cannot be opened (missing, busy, or no permission)");
        }

        if (_camera.Width > 0 && _camera.Height > 0)
        {
            _capture.Set(VideoCaptureProperties.FrameWidth, _camera.Width);
            _capture.Set(VideoCaptureProperties.FrameHeight, _camera.Height);
        }

        CheckFrameSize((long)_capture.Get(VideoCaptureProperties.FrameWidth), (long)_capture.Get(VideoCaptureProperties.FrameHeight));
    }

    public Mat? Read(CancellationToken cancellationToken)
    {
        var capture = _capture ?? throw new InvalidOperationException("Open the source first.");
        if (_isFile)
        {
            WaitForNextFrame(cancellationToken);
        }

        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (_aborted || cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            var mat = new Mat();
            if (capture.Read(mat) && !mat.Empty())
            {
                var (width, height) = (mat.Width, mat.Height);
                if ((long)width * height > _maxFramePixels)
                {
                    // The size is taken before Dispose: a disposed Mat has no size to report.
                    mat.Dispose();
                    CheckFrameSize(width, height);
                }

                return mat;
            }

            mat.Dispose();
            if (!_isFile || !_camera.Loop)
            {
                return null;
            }

            // End of a looping file: rewind once; a file that cannot give a frame after rewinding has ended for good.
            capture.Set(VideoCaptureProperties.PosFrames, 0);
        }

        return null;
    }

    public void Abort() => _aborted = true;

    private void CheckFrameSize(long width, long height) => CaptureOptions.CheckFrameSize(width, height, _maxFramePixels);

    public void Dispose() => _capture?.Dispose();

    private void WaitForNextFrame(CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        var wait = _time.GetElapsedTime(now, _nextDue);
        if (wait > TimeSpan.Zero)
        {
            cancellationToken.WaitHandle.WaitOne(wait);
            _nextDue += (long)(_frameInterval * _time.TimestampFrequency);
        }
        else
        {
            // Behind (slow decode or a pause): restart the schedule instead of bursting to catch up.
            _nextDue = now + (long)(_frameInterval * _time.TimestampFrequency);
        }
    }
}
