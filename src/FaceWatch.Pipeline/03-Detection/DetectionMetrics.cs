using System.Diagnostics.Metrics;

namespace FaceWatch.Pipeline.Detection;

/// <summary>Detection metrics, created once for the process.</summary>
internal static class DetectionMetrics
{
    public const string MeterName = "FaceWatch.Detection";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "facewatch.detection.duration", unit: "ms", description: "Time to detect faces in one frame.");

    public static readonly Counter<long> Faces = Meter.CreateCounter<long>(
        "facewatch.detection.faces", unit: "{face}", description: "Faces found.");
}
