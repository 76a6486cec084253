using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceWatch.Pipeline.Capture;

/// <summary>Devices and files through OpenCV; URLs through an ffmpeg child process.</summary>
public sealed class FrameSourceFactory : IFrameSourceFactory
{
    private readonly CaptureOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;

    public FrameSourceFactory(IOptions<CaptureOptions> options, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        _loggers = loggers;
    }

    public IFrameSource Create(CameraOptions camera)
    {
        ArgumentNullException.ThrowIfNull(camera);
        return SourceClassifier.Classify(camera.Source) switch
        {
            SourceKind.Url => new FfmpegFrameSource(camera, _options, _loggers.CreateLogger<FfmpegFrameSource>()),
            SourceKind.Device => new VideoCaptureFrameSource(camera, isFile: false, _time, _options.MaxFramePixels),
            _ => new VideoCaptureFrameSource(camera, isFile: true, _time, _options.MaxFramePixels),
        };
    }
}
