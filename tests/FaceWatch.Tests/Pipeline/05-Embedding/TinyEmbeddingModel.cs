using FaceWatch.ModelConversion.Onnx;

namespace FaceWatch.Tests.Pipeline.Embedding;

/// <summary>
/// A small second embedding model built by the test: NHWC input of <see cref="Size"/> x <see cref="Size"/>,
/// transposed to NCHW, average-pooled to 8x8, flattened and projected to <see cref="Dimension"/> values by
/// fixed random weights. <see cref="Reference"/> computes the same in plain C# for a tensor the test prepares.
/// </summary>
internal static class TinyEmbeddingModel
{
    public const int Size = 160, Pool = 20, Cells = Size / Pool, Dimension = 64;

    public static float[] Weights { get; } = MakeWeights();

    public static void Write(string path)
    {
        var g = new OnnxGraph("tiny_embedding");
        g.Inputs.Add(new OnnxValueInfo("pixels", ["batch", (long)Size, (long)Size, 3L]));
        var nchw = g.Add("Transpose", "nchw", ["pixels"], OnnxAttribute.Of("perm", 0, 3, 1, 2));
        var pooled = g.Add("AveragePool", "pooled", [nchw], OnnxAttribute.Of("kernel_shape", Pool, Pool), OnnxAttribute.Of("strides", Pool, Pool));
        var flat = g.Add("Flatten", "flat", [pooled], OnnxAttribute.Of("axis", 1L));
        var w = g.AddInitializer("w", [3 * Cells * Cells, Dimension], Weights);
        g.Nodes.Add(new OnnxNode("MatMul", "project", [flat, w], ["features"], []));
        g.Outputs.Add(new OnnxValueInfo("features", ["batch", (long)Dimension]));
        File.WriteAllBytes(path, OnnxWriter.Write(g, "test", "tiny embedding model for tests"));
    }

    /// <summary>The model's output for one image given as [y, x, c] float values (already normalised), L2-normalised.</summary>
    public static float[] Reference(Func<int, int, int, double> pixel)
    {
        var pooled = new double[3 * Cells * Cells];
        for (var c = 0; c < 3; c++)
        {
            for (var cy = 0; cy < Cells; cy++)
            {
                for (var cx = 0; cx < Cells; cx++)
                {
                    double sum = 0;
                    for (var y = cy * Pool; y < (cy + 1) * Pool; y++)
                    {
                        for (var x = cx * Pool; x < (cx + 1) * Pool; x++)
                        {
                            sum += pixel(y, x, c);
                        }
                    }

                    pooled[(c * Cells * Cells) + (cy * Cells) + cx] = sum / (Pool * Pool);
                }
            }
        }

        var result = new float[Dimension];
        for (var d = 0; d < Dimension; d++)
        {
            double v = 0;
            for (var i = 0; i < pooled.Length; i++)
            {
                v += pooled[i] * Weights[(i * Dimension) + d];
            }

            result[d] = (float)v;
        }

        FaceWatch.Core.Numerics.VectorMath.NormalizeInPlace(result);
        return result;
    }

    private static float[] MakeWeights()
    {
        var rng = new Random(1234);
        return Enumerable.Range(0, 3 * Cells * Cells * Dimension).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
    }
}
