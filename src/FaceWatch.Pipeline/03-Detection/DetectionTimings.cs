namespace FaceWatch.Pipeline.Detection;

/// <summary>
/// Where one <see cref="MtcnnDetector.Detect(OpenCvSharp.Mat, int?, IDetectionTimingSink?)"/> call spent its time.
/// Network times are the ONNX Runtime calls only; pre-processing is pyramid resizes, crops and normalisation;
/// post-processing is candidate decoding, NMS and regression.
/// </summary>
public readonly record struct DetectionTimings(
    TimeSpan Preprocess,
    TimeSpan PNet,
    TimeSpan RNet,
    TimeSpan ONet,
    TimeSpan Postprocess,
    TimeSpan Total,
    int PNetCandidates,
    int RNetCandidates,
    int Faces);

/// <summary>Receives the stage timings of each detection (benchmarks, diagnostics).</summary>
public interface IDetectionTimingSink
{
    void Record(in DetectionTimings timings);
}
