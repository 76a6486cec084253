using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.LiveView;
using Microsoft.Extensions.Logging;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Workers;

/// <summary>Hands a processed frame, its overlays and the camera's health to every frame sink; a failing sink is logged, never fatal.</summary>
public sealed class FrameAnnotator(string camera, IReadOnlyList<IFrameAnnotationSink> sinks, CameraHealthRegistry health, ILogger logger)
{
    public void Post(Frame frame, IReadOnlyList<TrackOverlay> overlays)
    {
        if (sinks.Count == 0)
        {
            return;
        }

        var current = health.Get(camera);
        foreach (var sink in sinks)
        {
            try
            {
                sink.Post(frame, overlays, current);
            }
            catch (Exception ex) when (ex is InvalidOperationException or OpenCVException or IOException)
            {
                Log.SinkFailed(logger, sink.GetType().Name, ex.Message);
            }
        }
    }
}
