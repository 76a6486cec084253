using System.Numerics;

using FaceWatch.Core.Numerics;
using FaceWatch.Pipeline.Embedding;
namespace FaceWatch.Pipeline.Identification;

/// <summary>One photo of a calibration person: its embedding as an enrolled face, and as a probe (degraded, as a camera sees it; null if the face was lost).</summary>
public sealed record CalibrationFace(float[] Enrolled, float[]? Probe);

/// <summary>
/// Measures a <see cref="ScorePrior"/> from photos of many people (e.g. calibration/lfw, 886 people): for every gallery
/// shape (people x faces per person) it draws galleries at random, scores photos of people not in them (strangers;
/// single photos and means of 2, 4, 8 photos of one stranger, like a visit's accumulated evidence) and unseen photos of
/// the enrolled (genuine), and keeps the tail of the stranger scores. The margin weight of <see cref="OpenSetScore"/>
/// is chosen on the same draws: the weight that identifies the most genuine probes at 1 % strangers accepted.
/// Deterministic for a seed.
/// </summary>
public static class ScorePriorBuilder
{
    public static readonly int[] PeopleGrid = [1, 2, 3, 5, 10, 20, 50, 100];
    public static readonly int[] FacesGrid = [1, 2, 3, 5, 10];
    public static readonly double[] MarginWeights = [0, 0.1, 0.25, 0.5, 1];

    public sealed record Settings(int Trials = 8, int StrangersPerTrial = 2500, int TemplatesPerTrial = 1500, int GenuinePerPerson = 5, int Seed = 42, double? MarginWeight = null);

    public static ScorePrior Build(
        IReadOnlyList<IReadOnlyList<CalibrationFace>> people, EmbeddingModelIdentity model, string source, string probes,
        Settings settings, DateTimeOffset createdAt, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(people);
        var shapes = (from n in PeopleGrid from k in FacesGrid select (N: n, K: k))
            .Where(s => people.Count(p => p.Count >= s.K + 1) >= s.N && people.Count >= s.N + 10).ToArray();
        if (!shapes.Any(s => s.N >= 2))
        {
            throw new InvalidOperationException(
                $"A prior needs photos of at least 12 people, 2 or more of them with 2 or more photos; got {people.Count} people.");
        }

        var results = new ShapeResult[shapes.Length];
        Parallel.For(0, shapes.Length, new ParallelOptions { CancellationToken = ct }, i =>
        {
            results[i] = Measure(people, shapes[i].N, shapes[i].K, settings);
            progress?.Report($"{shapes[i].N} people x {shapes[i].K} faces measured");
        });

        // The weight: best mean identified share at 1 % strangers over galleries of 2 or more people (1 person has no margin).
        var trials = MarginWeights.Select((w, wi) => new MarginWeightTrial(
            w,
            results.Where(r => r.People >= 2).Average(r => Identified(r, wi, 0.01)),
            results.Where(r => r.People >= 2).Average(r => Identified(r, wi, 0.001)))).ToArray();
        var best = trials.Max(t => t.IdentifiedAt1Percent);
        // Ties within a tenth of a point go to the smaller weight: the simpler rule.
        var chosen = settings.MarginWeight is { } fixedWeight
            ? trials.First(t => t.Weight == fixedWeight)
            : trials.First(t => t.IdentifiedAt1Percent >= best - 0.001);
        var wIndex = Array.IndexOf(MarginWeights, chosen.Weight);
        var cells = new List<ScorePriorCell>();
        foreach (var r in results)
        {
            foreach (var e in ScorePrior.EvidenceSizes)
            {
                if (r.Strangers[e] is not { Count: > 0 } strangers)
                {
                    continue;
                }

                var scores = strangers.Select(s => OpenSetScore.Of(s.Nearest, s.Second, chosen.Weight)).Order().ToArray();
                var mean = scores.Average();
                var sd = Math.Sqrt(scores.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, scores.Length - 1));
                var genuine = r.Genuine.Select(g => OpenSetScore.Of(g.Nearest, g.Second, chosen.Weight)).Order().ToArray();
                cells.Add(new ScorePriorCell(
                    r.People, r.Faces, e, scores.Length, Math.Round(mean, 5), Math.Round(sd, 5),
                    ScorePrior.Rates.Select(rate => Math.Round(Tail(scores, rate), 5)).ToArray(),
                    genuine.Length, genuine.Length == 0 ? double.NaN : Math.Round(genuine[genuine.Length / 2], 5),
                    e == 1 ? ScorePrior.Rates.Select(rate => Math.Round(Identified(r, wIndex, rate), 5)).ToArray() : []));
            }
        }

        return new ScorePrior(model.ModelId, model.ModelFile, source, probes, chosen.Weight, trials, cells, createdAt);
    }

    /// <summary>The score that a share <paramref name="rate"/> of the sorted <paramref name="sorted"/> scores reach or pass.</summary>
    private static double Tail(double[] sorted, double rate)
    {
        // The smallest threshold accepting at most rate of them: the value just above the (1 - rate) point.
        var index = Math.Clamp((int)Math.Floor(sorted.Length * (1 - rate)), 0, sorted.Length - 1);
        return sorted[index];
    }

    private static double Identified(ShapeResult r, int weightIndex, double rate)
    {
        var w = MarginWeights[weightIndex];
        var strangers = r.Strangers[1]!.Select(s => OpenSetScore.Of(s.Nearest, s.Second, w)).Order().ToArray();
        var threshold = Tail(strangers, rate);
        return r.Genuine.Count == 0 ? 0 : r.Genuine.Count(g => g.Right && OpenSetScore.Of(g.Nearest, g.Second, w) > threshold) / (double)r.Genuine.Count;
    }

    private static ShapeResult Measure(IReadOnlyList<IReadOnlyList<CalibrationFace>> people, int n, int k, Settings s)
    {
        // Not HashCode.Combine: it is seeded per process, and the same photos must always give the same prior.
        var rng = new Random(unchecked((s.Seed * 1_000_003) + (n * 101) + k) & int.MaxValue);
        var eligible = Enumerable.Range(0, people.Count).Where(i => people[i].Count >= k + 1).ToArray();
        var result = new ShapeResult(n, k);
        foreach (var e in ScorePrior.EvidenceSizes)
        {
            result.Strangers[e] = [];
        }

        for (var trial = 0; trial < s.Trials; trial++)
        {
            var chosen = eligible.ToArray();
            rng.Shuffle(chosen);
            chosen = chosen[..n];
            var inGallery = chosen.ToHashSet();
            var gallery = new float[n][][];
            var unseen = new List<(int Person, float[] Probe)>();
            for (var j = 0; j < n; j++)
            {
                var photos = Enumerable.Range(0, people[chosen[j]].Count).ToArray();
                rng.Shuffle(photos);
                gallery[j] = photos[..k].Select(p => people[chosen[j]][p].Enrolled).ToArray();
                unseen.AddRange(photos[k..].Take(s.GenuinePerPerson)
                    .Select(p => people[chosen[j]][p].Probe).OfType<float[]>().Select(probe => (j, probe)));
            }

            foreach (var (person, probe) in unseen)
            {
                var (nearest, second, index) = Score(gallery, probe);
                result.Genuine.Add(new Scored(nearest, second, index == person));
            }

            var others = Enumerable.Range(0, people.Count).Where(i => !inGallery.Contains(i)).ToArray();
            foreach (var e in ScorePrior.EvidenceSizes)
            {
                var pool = others.Where(i => people[i].Count(f => f.Probe is not null) >= e).ToArray();
                if (pool.Length == 0)
                {
                    continue;
                }

                var count = e == 1 ? s.StrangersPerTrial : s.TemplatesPerTrial;
                for (var t = 0; t < count; t++)
                {
                    var person = people[pool[rng.Next(pool.Length)]].Where(f => f.Probe is not null).ToArray();
                    rng.Shuffle(person);
                    var probe = Mean(person.Take(e).Select(f => f.Probe!).ToArray());
                    var (nearest, second, _) = Score(gallery, probe);
                    result.Strangers[e]!.Add(new Scored(nearest, second, false));
                }
            }
        }

        return result;
    }

    private static float[] Mean(float[][] vectors)
    {
        var mean = new float[vectors[0].Length];
        foreach (var v in vectors)
        {
            for (var i = 0; i < mean.Length; i++)
            {
                mean[i] += v[i];
            }
        }

        VectorMath.NormalizeInPlace(mean);
        return mean;
    }

    /// <summary>Similarity to the nearest and second nearest person (<see cref="Gallery.SimilarityTo"/>'s measure) and the nearest's index.</summary>
    private static (double Nearest, double? Second, int Index) Score(float[][][] gallery, float[] probe)
    {
        double best = double.NegativeInfinity, second = double.NegativeInfinity;
        var index = -1;
        for (var j = 0; j < gallery.Length; j++)
        {
            double top = double.NegativeInfinity, next = double.NegativeInfinity;
            foreach (var face in gallery[j])
            {
                var d = Dot(face, probe);
                if (d > top)
                {
                    (next, top) = (top, d);
                }
                else if (d > next)
                {
                    next = d;
                }
            }

            var sim = double.IsNegativeInfinity(next) ? top : (top + next) / 2;
            if (sim > best)
            {
                (second, best, index) = (best, sim, j);
            }
            else if (sim > second)
            {
                second = sim;
            }
        }

        return (best, double.IsNegativeInfinity(second) ? null : second, index);
    }

    private static float Dot(float[] a, float[] b)
    {
        var sum = Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            sum += new Vector<float>(a, i) * new Vector<float>(b, i);
        }

        var total = Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }

    private readonly record struct Scored(double Nearest, double? Second, bool Right);

    private sealed class ShapeResult(int people, int faces)
    {
        public int People { get; } = people;

        public int Faces { get; } = faces;

        public List<Scored> Genuine { get; } = [];

        public Dictionary<int, List<Scored>?> Strangers { get; } = [];
    }
}
