using System.Diagnostics.Metrics;

namespace FaceWatch.Pipeline.Detection;

/// <summary>
/// The detector's instruments on the meter <c>FaceWatch.Detection</c> (from <see cref="IMeterFactory"/>; register as a
/// singleton and hand it to <see cref="MtcnnDetector"/>). A detector made without it records nothing.
/// </summary>
public sealed class DetectionMetrics
{
    public const string MeterName = "FaceWatch.Detection";

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _faces;

    public DetectionMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
#pragma warning disable CA2000 // a factory meter belongs to the factory, which disposes it with the host
        var meter = meterFactory.Create(MeterName);
#pragma warning restore CA2000
        _duration = meter.CreateHistogram<double>("facewatch.detection.duration", unit: "ms", description: "Time to detect faces in one frame.");
        _faces = meter.CreateCounter<long>("facewatch.detection.faces", unit: "{face}", description: "Faces found.");
    }

    /// <summary>One detector call: how long it took and how many faces it found.</summary>
    public void Detected(double milliseconds, int faces)
    {
        _duration.Record(milliseconds);
        _faces.Add(faces);
    }
}
