namespace FaceWatch.Core.Numerics;

/// <summary>Small vector helpers on float embeddings.</summary>
public static class VectorMath
{
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Vectors differ in length ({a.Length} vs {b.Length}).", nameof(b));
        }

        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * (double)b[i];
        }

        return sum;
    }

    /// <summary>Scales <paramref name="v"/> to unit length in place (a zero vector stays zero).</summary>
    public static void NormalizeInPlace(Span<float> v)
    {
        double sum = 0;
        foreach (var x in v)
        {
            sum += x * (double)x;
        }

        if (sum <= 0)
        {
            return;
        }

        var inv = (float)(1.0 / Math.Sqrt(sum));
        for (var i = 0; i < v.Length; i++)
        {
            v[i] *= inv;
        }
    }

    public static float[] Normalized(ReadOnlySpan<float> v)
    {
        var copy = v.ToArray();
        NormalizeInPlace(copy);
        return copy;
    }

    /// <summary>Unit-length mean of unit vectors.</summary>
    public static float[] Centroid(IReadOnlyList<float[]> vectors)
    {
        ArgumentOutOfRangeException.ThrowIfZero(vectors.Count);
        var c = new float[vectors[0].Length];
        foreach (var v in vectors)
        {
            for (var i = 0; i < c.Length; i++)
            {
                c[i] += v[i];
            }
        }

        NormalizeInPlace(c);
        return c;
    }

    /// <summary>The q-quantile (0..1) of <paramref name="values"/> by linear interpolation.</summary>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        ArgumentOutOfRangeException.ThrowIfZero(values.Count);
        var sorted = values.Order().ToArray();
        var pos = Math.Clamp(q, 0, 1) * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((pos - lo) * (sorted[hi] - sorted[lo]));
    }
}
