using FaceWatch.Core.Numerics;

namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// The cosine at or above which two faces count as the same person for a track (is the face in a tracked box still the
/// face the track had?). <see cref="Method"/> says how it was chosen.
/// </summary>
public sealed record SameFaceThreshold(double Cosine, string Method);

/// <summary>
/// Chooses <see cref="SameFaceThreshold"/> from the gallery's own faces: impostor scores are the cosines of every pair of
/// faces of two different people, genuine scores those of every pair of one person's faces. The threshold is the
/// impostor 99.9 % point (the larger of the empirical quantile and the normal-tail estimate mean + 3.09 sd, which
/// extrapolates beyond a few dozen scores), so about 1 in 1,000 pairs of different people would pass for one; it is kept
/// between <see cref="Floor"/> and <see cref="Ceiling"/>. The genuine scores say what it would cost between photos of one
/// person taken years apart; faces of one visit seconds apart are far more alike (on the demo clip 95 % of a visit's
/// faces are at 0.66 or more to its template), so the cost in a visit is much lower.
/// Galleries with fewer than <see cref="MinImpostorScores"/> impostor pairs get <see cref="Default"/>.
/// </summary>
public static class SameFaceCalibration
{
    /// <summary>
    /// For galleries too small to say (one person, or a handful of faces): the impostor 99.9 % point of MobileFaceNet
    /// measured with this rule on the 130 usable photos of the 6 people of the shared faces/jurassic set (6,892 pairs: 0.458).
    /// </summary>
    public const double Default = 0.46;

    /// <summary>Bounds of a calibrated threshold: below the floor strangers pass as the same face, above the ceiling a turn of the head splits a visit.</summary>
    public const double Floor = 0.30, Ceiling = 0.60;

    public const int MinImpostorScores = 20;

    private const double NormalQuantile999 = 3.090;

    public static SameFaceThreshold Calibrate(IReadOnlyList<EnrolledPerson> people)
    {
        ArgumentNullException.ThrowIfNull(people);
        var impostor = new List<double>();
        var genuine = new List<double>();
        for (var i = 0; i < people.Count; i++)
        {
            var faces = people[i].Faces;
            for (var a = 0; a < faces.Count; a++)
            {
                for (var b = a + 1; b < faces.Count; b++)
                {
                    genuine.Add(VectorMath.Dot(faces[a].Embedding, faces[b].Embedding));
                }

                for (var j = i + 1; j < people.Count; j++)
                {
                    foreach (var other in people[j].Faces)
                    {
                        impostor.Add(VectorMath.Dot(faces[a].Embedding, other.Embedding));
                    }
                }
            }
        }

        if (impostor.Count < MinImpostorScores)
        {
            return new SameFaceThreshold(Default, $"default (only {impostor.Count} impostor pairs)");
        }

        var mean = impostor.Average();
        var sd = Math.Sqrt(impostor.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, impostor.Count - 1));
        var tail = Math.Max(VectorMath.Quantile(impostor, 0.999), mean + (NormalQuantile999 * sd));
        var cosine = Math.Round(Math.Clamp(tail, Floor, Ceiling), 4);
        var cost = genuine.Count == 0
            ? "no genuine pairs"
            : $"would split {genuine.Count(g => g < cosine) / (double)genuine.Count:P0} of {genuine.Count} photo pairs of one person";
        return new SameFaceThreshold(cosine, $"calibrated: impostor 99.9% point of {impostor.Count} pairs ({tail:F3}; mean {mean:F3}, sd {sd:F3}); {cost}");
    }
}
