using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Workers;

/// <summary>
/// The shared detector entered by at most <c>slots</c> cameras at a time (<c>Pipeline:ParallelDetections</c>). Each
/// detection in flight holds its own ONNX Runtime buffers (an R-Net batch of a few hundred candidates is tens of MB)
/// and its own workspace; with more cameras than cores, running them all at once gains no throughput but multiplies
/// that memory (docs/performance-memory.md). A camera that finds every slot taken waits for one (a few tens of ms).
/// </summary>
internal sealed class LimitedFaceDetector : IFaceDetector, IDisposable
{
    private readonly IFaceDetector _inner;
    private readonly SemaphoreSlim _slots;

    public LimitedFaceDetector(IFaceDetector inner, int slots)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _inner = inner;
        _slots = new SemaphoreSlim(slots, slots);
    }

    public IReadOnlyList<FaceDetection> Detect(Mat image, int? minFaceSize = null)
    {
        // A sync wait on purpose: detection itself is a blocking native call on the worker's thread.
        _slots.Wait();
        try
        {
            return _inner.Detect(image, minFaceSize);
        }
        finally
        {
            _slots.Release();
        }
    }

    public IReadOnlyList<FaceDetection> DetectIn(Mat image, IReadOnlyList<DetectionRegion> regions, IReadOnlyList<Rect2f>? refind = null)
    {
        _slots.Wait();
        try
        {
            return _inner.DetectIn(image, regions, refind);
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
