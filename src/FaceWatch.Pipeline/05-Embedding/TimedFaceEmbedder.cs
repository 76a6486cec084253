using System.Diagnostics;
using FaceWatch.Pipeline.Embedding;
using OpenCvSharp;

using FaceWatch.Core.Health;
namespace FaceWatch.Pipeline.Embedding;

/// <summary>An <see cref="IFaceEmbedder"/> that records each batch's time in <c>facewatch.embedding.duration</c>.</summary>
public sealed class TimedFaceEmbedder(IFaceEmbedder inner, FaceWatchMetrics metrics) : IFaceEmbedder
{
    public int InputSize => inner.InputSize;

    public int Dimension => inner.Dimension;

    public string ModelId => inner.ModelId;

    public string ModelName => inner.ModelName;

    public float[][] Embed(IReadOnlyList<Mat> alignedCrops)
    {
        ArgumentNullException.ThrowIfNull(alignedCrops);
        var start = Stopwatch.GetTimestamp();
        var result = inner.Embed(alignedCrops);
        metrics.EmbeddingDuration(Stopwatch.GetElapsedTime(start).TotalMilliseconds, alignedCrops.Count);
        return result;
    }
}
