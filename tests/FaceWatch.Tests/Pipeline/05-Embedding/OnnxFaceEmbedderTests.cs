using System.Security.Cryptography;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using Microsoft.Extensions.Options;
using OpenCvSharp;

using FaceWatch.Core.Models;
using FaceWatch.Core.Numerics;
using FaceWatch.Tests.Pipeline.Identification;
namespace FaceWatch.Tests.Pipeline.Embedding;

[Collection(IdentificationCollection.Name)]
[Trait("Category", "Slow")]
public sealed class OnnxFaceEmbedderTests(IdentificationFixture fx) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-embed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Mat[] Crops(params string[] photo)
    {
        var crops = new List<Mat>();
        foreach (var p in photo)
        {
            using var faces = fx.Reader.Read(p);
            crops.Add(faces.Faces[0].Crop.Clone());
        }

        return [.. crops];
    }

    [Fact]
    public void MobileFaceNet_embeddings_are_unit_length_batched_like_single_calls_and_separate_people()
    {
        var crops = Crops(
            TestPaths.Data("faces", "knn", "train", "obama", "obama.jpg"),
            TestPaths.Data("faces", "knn", "test", "obama1.jpg"),
            TestPaths.Data("faces", "knn", "train", "biden", "biden.jpg"));
        try
        {
            var batch = fx.Embedder.Embed(crops);
            Assert.Equal(3, batch.Length);
            Assert.Equal(192, fx.Embedder.Dimension);
            foreach (var v in batch)
            {
                Assert.Equal(192, v.Length);
                Assert.Equal(1.0, Math.Sqrt(VectorMath.Dot(v, v)), 4);
            }

            for (var i = 0; i < crops.Length; i++)
            {
                var single = fx.Embedder.Embed([crops[i]])[0];
                Assert.True(VectorMath.Dot(single, batch[i]) > 0.9999, "a face embeds the same alone and in a batch");
            }

            var sameObama = VectorMath.Dot(batch[0], batch[1]);
            var obamaBiden = VectorMath.Dot(batch[0], batch[2]);
            Assert.True(sameObama > 0.5, $"two photos of Obama: similarity {sameObama:F3}");
            Assert.True(obamaBiden < 0.3, $"Obama vs Biden: similarity {obamaBiden:F3}");
            Assert.True(sameObama - obamaBiden > 0.3);

            using var file = File.OpenRead(Path.Combine(TestPaths.ModelsDir, ModelFiles.MobileFaceNet));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), fx.Embedder.ModelId);
        }
        finally
        {
            foreach (var c in crops)
            {
                c.Dispose();
            }
        }
    }

    [Fact]
    public void Flip_augmentation_gives_a_close_but_different_embedding()
    {
        using var flip = new OnnxFaceEmbedder(fx.Sessions, Options.Create(new EmbeddingOptions { FlipAugmentation = true }));
        var crops = Crops(TestPaths.Data("faces", "knn", "test", "obama1.jpg"));
        using var crop = crops[0];
        var plain = fx.Embedder.Embed([crop])[0];
        var flipped = flip.Embed([crop])[0];
        var similarity = VectorMath.Dot(plain, flipped);
        Assert.InRange(similarity, 0.85, 0.9999);
        Assert.Equal(fx.Embedder.ModelId, flip.ModelId);
    }

    [Fact]
    public void A_second_model_with_another_size_layout_channel_order_and_normalisation_works_by_options_alone()
    {
        var path = Path.Combine(_dir, "tiny.onnx");
        TinyEmbeddingModel.Write(path);
        var options = new EmbeddingOptions
        {
            ModelFile = path,
            InputSize = TinyEmbeddingModel.Size,
            Layout = TensorLayout.Nhwc,
            ChannelOrder = ChannelOrder.Bgr,
            Normalization = EmbeddingNormalization.PerImageStandardization,
        };
        using var embedder = new OnnxFaceEmbedder(fx.Sessions, Options.Create(options));
        Assert.Equal(TinyEmbeddingModel.Dimension, embedder.Dimension);
        Assert.Equal(160, embedder.Identity.InputSize);
        Assert.NotEqual(fx.Embedder.ModelId, embedder.ModelId);

        // A real face, resized by the test to the model's size so the reference sees the same pixels.
        var crops = Crops(TestPaths.Data("faces", "knn", "test", "obama1.jpg"));
        using var face = crops[0];
        using var crop = face.Resize(new Size(160, 160), interpolation: InterpolationFlags.Linear);
        var got = embedder.Embed([crop, face]); // the 112x112 one is resized by the embedder
        Assert.Equal(2, got.Length);
        Assert.All(got, v => Assert.Equal(TinyEmbeddingModel.Dimension, v.Length));

        // Reference: per-image standardisation over all values, BGR order as stored, NHWC.
        var values = new double[160 * 160 * 3];
        for (var y = 0; y < 160; y++)
        {
            for (var x = 0; x < 160; x++)
            {
                var p = crop.At<Vec3b>(y, x);
                values[(((y * 160) + x) * 3) + 0] = p.Item0;
                values[(((y * 160) + x) * 3) + 1] = p.Item1;
                values[(((y * 160) + x) * 3) + 2] = p.Item2;
            }
        }

        var mean = values.Average();
        var std = Math.Max(Math.Sqrt(values.Average(v => (v - mean) * (v - mean))), 1.0 / Math.Sqrt(values.Length));
        var expected = TinyEmbeddingModel.Reference((y, x, c) => (values[(((y * 160) + x) * 3) + c] - mean) / std);
        Assert.True(VectorMath.Dot(expected, got[0]) > 0.9999, $"BGR + standardisation matches the reference ({VectorMath.Dot(expected, got[0]):F6})");

        // Same model, RGB with fixed mean/scale: matches its own reference, differs from the BGR one.
        using var rgbEmbedder = new OnnxFaceEmbedder(fx.Sessions, Options.Create(new EmbeddingOptions
        {
            ModelFile = path,
            InputSize = 160,
            Layout = TensorLayout.Nhwc,
            ChannelOrder = ChannelOrder.Rgb,
            Normalization = EmbeddingNormalization.FixedMeanScale,
            Mean = 127.5,
            Scale = 1 / 127.5,
        }));
        var rgb = rgbEmbedder.Embed([crop])[0];
        var expectedRgb = TinyEmbeddingModel.Reference((y, x, c) => (values[(((y * 160) + x) * 3) + (2 - c)] - 127.5) / 127.5);
        Assert.True(VectorMath.Dot(expectedRgb, rgb) > 0.9999, $"RGB + fixed scale matches the reference ({VectorMath.Dot(expectedRgb, rgb):F6})");
        Assert.True(VectorMath.Dot(rgb, got[0]) < 0.9999);
    }

    [Fact]
    public void A_wrong_tensor_name_in_the_options_names_the_key_and_the_model_inputs()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            new OnnxFaceEmbedder(fx.Sessions, Options.Create(new EmbeddingOptions { InputName = "data" })));
        Assert.Contains("Embedding:InputName", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'data'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ModelFiles.InputName, ex.Message, StringComparison.Ordinal);
    }
}
