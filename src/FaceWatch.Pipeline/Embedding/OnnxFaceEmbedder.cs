using System.Buffers;
using System.Runtime.InteropServices;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Models;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Embedding;

/// <summary>
/// Embeds aligned face crops with an ONNX model configured by <see cref="EmbeddingOptions"/>: all crops go
/// through one inference call (pre-processed by OpenCV into a pooled input buffer), the outputs are
/// L2-normalised. With flip augmentation each crop's mirror joins the same batch and the two embeddings are
/// summed before normalising. Thread-safe: ONNX Runtime sessions allow concurrent runs and buffers are per call.
/// </summary>
public sealed class OnnxFaceEmbedder : IFaceEmbedder, IDisposable
{
    private readonly InferenceSession _session;
    private readonly EmbeddingOptions _options;
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
            ModelId = ModelFetcher.Sha256Of(ModelPath);
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
        var buffer = ArrayPool<float>.Shared.Rent(n * perImage);
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
            ArrayPool<float>.Shared.Return(buffer);
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

        if (_options.ChannelOrder == ChannelOrder.Rgb)
        {
            Cv2.CvtColor(current, sized, ColorConversionCodes.BGR2RGB);
            current = sized;
        }

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

        using var floats = new Mat();
        current.ConvertTo(floats, MatType.CV_32FC3, alpha, beta);
        if (_options.Layout == TensorLayout.Nhwc)
        {
            CopyContinuous(floats, target);
            return;
        }

        SplitInto(floats, target, s);
    }

    /// <summary>Splits a 3-channel float image straight into the planes of <paramref name="target"/>: no plane Mats allocated and copied.</summary>
    private static unsafe void SplitInto(Mat floats, Span<float> target, int side)
    {
        var plane = side * side;
        if (target.Length != 3 * plane)
        {
            throw new InvalidOperationException("Unexpected crop buffer shape.");
        }

        fixed (float* p = target)
        {
            using var c0 = Mat.FromPixelData(side, side, MatType.CV_32FC1, (IntPtr)p);
            using var c1 = Mat.FromPixelData(side, side, MatType.CV_32FC1, (IntPtr)(p + plane));
            using var c2 = Mat.FromPixelData(side, side, MatType.CV_32FC1, (IntPtr)(p + (2 * plane)));
            Cv2.MixChannels([floats], [c0, c1, c2], [0, 0, 1, 1, 2, 2]);
        }
    }

    private static unsafe void CopyContinuous(Mat m, Span<float> target)
    {
        var length = (int)m.Total() * m.Channels();
        if (!m.IsContinuous() || length != target.Length)
        {
            throw new InvalidOperationException("Unexpected crop buffer shape.");
        }

        new ReadOnlySpan<float>((void*)m.Data, length).CopyTo(target);
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
