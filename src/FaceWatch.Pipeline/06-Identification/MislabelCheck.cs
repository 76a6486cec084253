using FaceWatch.Core.Numerics;

namespace FaceWatch.Pipeline.Identification;

/// <summary>A face that looks like it does not belong to the person it was filed under.</summary>
public sealed record SuspectFace(string Person, EnrolledFace Face, double OwnSimilarity, string? CloserTo, double CloserSimilarity)
{
    public string Reason => CloserTo is null
        ? $"far from the rest of {Person}'s faces (similarity {OwnSimilarity:F2} to their centre)"
        : $"closer to {CloserTo} ({CloserSimilarity:F2}) than to the rest of {Person}'s faces ({OwnSimilarity:F2})";
}

/// <summary>
/// Finds likely mislabelled enrollment faces: a face whose similarity to the centre of its person's other
/// faces is below <see cref="MinOwnSimilarity"/>, or that is nearer another person's centre than its own.
/// People with fewer than three faces are not checked (there is no "rest" to compare with).
/// </summary>
public static class MislabelCheck
{
    public const double MinOwnSimilarity = 0.30;

    public static IReadOnlyList<SuspectFace> Find(IReadOnlyList<EnrolledPerson> people, double minOwnSimilarity = MinOwnSimilarity)
    {
        var centres = people.Select(p => VectorMath.Centroid(p.Faces.Select(f => f.Embedding).ToArray())).ToArray();
        var suspects = new List<SuspectFace>();
        for (var k = 0; k < people.Count; k++)
        {
            var p = people[k];
            if (p.Faces.Count < 3)
            {
                continue;
            }

            foreach (var face in p.Faces)
            {
                var rest = VectorMath.Centroid(p.Faces.Where(f => !ReferenceEquals(f, face)).Select(f => f.Embedding).ToArray());
                var own = VectorMath.Dot(rest, face.Embedding);
                string? other = null;
                var otherSim = double.NegativeInfinity;
                for (var j = 0; j < people.Count; j++)
                {
                    var s = j == k ? double.NegativeInfinity : VectorMath.Dot(centres[j], face.Embedding);
                    if (s > otherSim)
                    {
                        (other, otherSim) = (people[j].Name, s);
                    }
                }

                if (otherSim > own)
                {
                    suspects.Add(new SuspectFace(p.Name, face, own, other, otherSim));
                }
                else if (own < minOwnSimilarity)
                {
                    suspects.Add(new SuspectFace(p.Name, face, own, null, 0));
                }
            }
        }

        return suspects;
    }
}
