using System.Buffers;
using System.Runtime.InteropServices;
using FaceWatch.Pipeline.Identification;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

using FaceWatch.Core.Models;
using FaceWatch.Core.Numerics;
namespace FaceWatch.Pipeline.Embedding;

/// <summary>
/// Embeds aligned face crops with an ONNX model configured by <see cref="EmbeddingOptions"/>: all crops go
/// through one inference call (pre-processed by OpenCV into a pooled input buffer), the outputs are
/// L2-normalised. With flip augmentation each crop's mirror joins the same batch and the two embeddings are
/// summed before normalising. Thread-safe: ONNX Runtime sessions allow concurrent runs and buffers are per call.
/// </summary>
public sealed class OnnxFaceEmbedder : IFaceEmbedder, IDisposable
{
    // BGR source channel -> planar destination index (Cv2.MixChannels pairs).
    private static readonly int[] BgrToRgbPlanes = [2, 0, 1, 1, 0, 2];
    private static readonly int[] BgrToBgrPlanes = [0, 0, 1, 1, 2, 2];

    private readonly InferenceSession _session;
    private readonly EmbeddingOptions _options;

    // The embedder's own input buffers: the shared pool keeps arrays per thread and per core, and the embedding loop
    // resumes on any pool thread, so its large arrays piled up (the large-object heap grew 13 -> 32 MB in a 5-minute
    // soak, docs/performance-memory.md). Here at most two per size class, however many threads call.
    private readonly ArrayPool<float> _buffers = ArrayPool<float>.Create(maxArrayLength: 1 << 24, maxArraysPerBucket: 2);
    private readonly string _inputName;
    private readonly string _outputName;

    public OnnxFaceEmbedder(InferenceSessionFactory sessions, IOptions<EmbeddingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        ModelPath = Path.IsPathRooted(_options.ModelFile) ? _options.ModelFile : sessions.PathOf(_options.ModelFile);
        _session = sessions.Create(ModelPath);
        try
        {
            _inputName = PickName(_options.InputName, _session.InputMetadata.Keys, "input", ModelPath);
            _outputName = PickName(_options.OutputName, _session.OutputMetadata.Keys, "output", ModelPath);
            ModelId = ModelFiles.Sha256Of(ModelPath);
            Dimension = ProbeDimension();
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    public string ModelPath { get; }

    public int InputSize => _options.InputSize;

    public int Dimension { get; }

    public string ModelId { get; }

    /// <summary>What a gallery records about the model that made its embeddings.</summary>
    public string ModelName => Path.GetFileName(ModelPath);

    public EmbeddingModelIdentity Identity => new(ModelId, Path.GetFileName(ModelPath), InputSize, Dimension);

    public float[][] Embed(IReadOnlyList<Mat> alignedCrops)
    {
        ArgumentNullException.ThrowIfNull(alignedCrops);
        var result = new float[alignedCrops.Count][];
        for (var start = 0; start < alignedCrops.Count; start += _options.MaxBatchSize)
        {
            var count = Math.Min(_options.MaxBatchSize, alignedCrops.Count - start);
            EmbedBatch(alignedCrops, start, count, result);
        }

        return result;
    }

    public void Dispose() => _session.Dispose();

    private void EmbedBatch(IReadOnlyList<Mat> crops, int start, int count, float[][] result)
    {
        var copies = _options.FlipAugmentation ? 2 : 1;
        var n = count * copies;
        var s = _options.InputSize;
        var perImage = 3 * s * s;
        var buffer = _buffers.Rent(n * perImage);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var crop = crops[start + i];
                WriteInput(crop, flip: false, buffer.AsSpan(i * copies * perImage, perImage));
                if (copies == 2)
                {
                    WriteInput(crop, flip: true, buffer.AsSpan(((i * copies) + 1) * perImage, perImage));
                }
            }

            long[] shape = _options.Layout == TensorLayout.Nchw ? [n, 3, s, s] : [n, s, s, 3];
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, n * perImage), shape);
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, [_inputName], [input], [_outputName]);
            var data = outputs[0].GetTensorDataAsSpan<float>();
            var dim = data.Length / n;
            if (dim != Dimension)
            {
                throw new InvalidOperationException($"Model '{ModelPath}' returned {data.Length} values for {n} crops; expected {Dimension} each.");
            }

            for (var i = 0; i < count; i++)
            {
                var v = data.Slice(i * copies * dim, dim).ToArray();
                if (copies == 2)
                {
                    var mirrored = data.Slice(((i * copies) + 1) * dim, dim);
                    for (var d = 0; d < dim; d++)
                    {
                        v[d] += mirrored[d];
                    }
                }

                VectorMath.NormalizeInPlace(v);
                result[start + i] = v;
            }
        }
        finally
        {
            _buffers.Return(buffer);
        }
    }

    /// <summary>Resize (if needed), flip, reorder channels, scale, and lay out one crop into <paramref name="target"/>.</summary>
    private void WriteInput(Mat crop, bool flip, Span<float> target)
    {
        if (crop.Empty() || crop.Type() != MatType.CV_8UC3)
        {
            throw new ArgumentException($"Face crops must be 8-bit BGR images; got {crop.Type()} {crop.Width}x{crop.Height}.", nameof(crop));
        }

        var s = _options.InputSize;
        using var sized = new Mat();

        // Each step reads the previous result and writes into our own Mat, so the caller's crop is never
        // changed and an already sized crop is not copied first.
        var current = crop;
        if (crop.Width != s || crop.Height != s)
        {
            var shrinking = crop.Width > s || crop.Height > s;
            Cv2.Resize(crop, sized, new Size(s, s), interpolation: shrinking ? InterpolationFlags.Area : InterpolationFlags.Linear);
            current = sized;
        }

        if (flip)
        {
            Cv2.Flip(current, sized, FlipMode.Y);
            current = sized;
        }

        // Channel order does not change the mean and deviation over all values, so they are taken before any reorder.
        double alpha, beta;
        if (_options.Normalization == EmbeddingNormalization.FixedMeanScale)
        {
            alpha = _options.Scale;
            beta = -_options.Mean * _options.Scale;
        }
        else
        {
            // Mean and standard deviation over all pixels and channels, as FaceNet's prewhiten.
            using var flat = current.Reshape(1);
            Cv2.MeanStdDev(flat, out var mean, out var std);
            var adjusted = Math.Max(std.Val0, 1.0 / Math.Sqrt(3.0 * s * s));
            alpha = 1.0 / adjusted;
            beta = -mean.Val0 / adjusted;
        }

        var rgb = _options.ChannelOrder == ChannelOrder.Rgb;
        if (_options.Layout == TensorLayout.Nhwc)
        {
            if (rgb)
            {
                Cv2.CvtColor(current, sized, ColorConversionCodes.BGR2RGB);
                current = sized;
            }

            ConvertInto(current, target, s, s, MatType.CV_32FC3, alpha, beta);
            return;
        }

        // NCHW: the split into byte planes also puts the channels in order, then one conversion writes all three planes.
        using var planes = new Mat(3 * s, s, MatType.CV_8UC1);
        using var p0 = planes.RowRange(0, s);
        using var p1 = planes.RowRange(s, 2 * s);
        using var p2 = planes.RowRange(2 * s, 3 * s);
        Cv2.MixChannels([current], [p0, p1, p2], rgb ? BgrToRgbPlanes : BgrToBgrPlanes);
        ConvertInto(planes, target, 3 * s, s, MatType.CV_32FC1, alpha, beta);
    }

    /// <summary>
    /// Scales an 8-bit image straight into the float buffer behind <paramref name="target"/>
    /// (<paramref name="rows"/> x <paramref name="cols"/> of <paramref name="type"/>): no float Mat is allocated and copied.
    /// </summary>
    private static unsafe void ConvertInto(Mat source, Span<float> target, int rows, int cols, MatType type, double alpha, double beta)
    {
        if (rows * cols * type.Channels != target.Length)
        {
            throw new InvalidOperationException("Unexpected crop buffer shape.");
        }

        fixed (float* p = target)
        {
            using var destination = Mat.FromPixelData(rows, cols, type, (IntPtr)p);
            source.ConvertTo(destination, type, alpha, beta);
            if (destination.Data != (IntPtr)p)
            {
                throw new InvalidOperationException("Unexpected crop buffer shape.");
            }
        }
    }

    private int ProbeDimension()
    {
        var dims = _session.OutputMetadata[_outputName].Dimensions;
        if (dims.Length >= 2 && dims[^1] > 0)
        {
            return dims[^1];
        }

        // Dynamic output size: ask the model once with a blank face.
        var s = _options.InputSize;
        long[] shape = _options.Layout == TensorLayout.Nchw ? [1, 3, s, s] : [1, s, s, 3];
        using var input = OrtValue.CreateTensorValueFromMemory(new float[3 * s * s], shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [_inputName], [input], [_outputName]);
        return (int)outputs[0].GetTensorTypeAndShape().ElementCount;
    }

    private static string PickName(string configured, IEnumerable<string> names, string what, string model)
    {
        var all = names.ToArray();
        if (string.IsNullOrEmpty(configured))
        {
            return all[0];
        }

        return all.Contains(configured)
            ? configured
            : throw new InvalidOperationException(
                $"Embedding:{(what == "input" ? "InputName" : "OutputName")} is '{configured}', but model '{model}' has {what}s: {string.Join(", ", all)}.");
    }
}
