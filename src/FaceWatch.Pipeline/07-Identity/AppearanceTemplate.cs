using FaceWatch.Pipeline.Identification;

using FaceWatch.Core.Numerics;
namespace FaceWatch.Pipeline.Identity;

/// <summary>
/// What a visit's face looks like: the weighted running mean of its accepted L2-normalised embeddings (the appearance
/// term of DeepSORT-style trackers, one template per visit instead of a gallery of recent crops). Compared by cosine.
/// Single-threaded.
/// </summary>
public sealed class AppearanceTemplate
{
    private float[]? _sum;
    private float[]? _unit;

    /// <summary>Embeddings taken in.</summary>
    public int Count { get; private set; }

    public bool IsEmpty => Count == 0;

    /// <summary>The L2-normalised mean (empty before the first embedding): a visit's accumulated evidence of who it is.</summary>
    public ReadOnlySpan<float> Unit => _unit;

    /// <summary>Cosine similarity of <paramref name="embedding"/> (L2-normalised) to the template; 1 for an empty template.</summary>
    public double Similarity(ReadOnlySpan<float> embedding) =>
        _unit is null || _unit.Length != embedding.Length ? 1 : VectorMath.Dot(_unit, embedding);

    /// <summary>Cosine similarity of two templates; 1 when either is empty.</summary>
    public double Similarity(AppearanceTemplate other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return other._unit is null ? 1 : Similarity(other._unit);
    }

    /// <summary>Takes in one accepted embedding with its quality weight (0..1).</summary>
    public void Add(ReadOnlySpan<float> embedding, double weight)
    {
        _sum ??= new float[embedding.Length];
        _unit ??= new float[embedding.Length];
        if (_sum.Length != embedding.Length)
        {
            throw new ArgumentException($"Embedding has {embedding.Length} values, the template {_sum.Length}.", nameof(embedding));
        }

        var w = (float)Math.Max(0.05, weight);
        for (var i = 0; i < embedding.Length; i++)
        {
            _sum[i] += w * embedding[i];
        }

        _sum.CopyTo(_unit, 0);
        VectorMath.NormalizeInPlace(_unit);
        Count++;
    }
}
