using System.Globalization;
using FaceWatch.Core.Models;
using FaceWatch.Core.Numerics;
using FaceWatch.Hosting.Strangers;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace FaceWatch.Tests.Hosting.Strangers;

/// <summary>
/// Grouping quality on many more strangers than the daemon test has: real embeddings (MTCNN + MobileFaceNet) of LFW
/// news photos, 80 people with at least 6 photos, each coming 3 times (a visit = the mean of 2 photos, as a visit's
/// evidence is the mean of its faces; every visit from other photos), in three shuffled orders, grouped at the
/// threshold for a gallery too small to calibrate (<see cref="SameFaceCalibration.Default"/>) and at looser points.
/// Counts groups against the true number of strangers, and purity (the worst of the three orders).
/// </summary>
[Trait("Category", "Slow")]
public sealed class StrangerGroupingLfwTests(ITestOutputHelper output)
{
    private const int People = 80;
    private const int Visits = 3;
    private const int PhotosPerVisit = 2;

    [Fact]
    public void Visits_of_LFW_strangers_group_purely_at_the_same_face_threshold()
    {
        var sessions = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir }));
        using var detector = new MtcnnDetector(sessions, Options.Create(new MtcnnOptions()));
        using var embedder = new OnnxFaceEmbedder(sessions, Options.Create(new EmbeddingOptions()));
        var reader = new PhotoFaceReader(detector, (image, face) => FaceAligner.Align(image, face.Landmarks, embedder.InputSize));
        var lfw = Path.Combine(TestPaths.SharedData, "calibration", "lfw");
        var visits = new List<(string Person, float[] Embedding)>();
        foreach (var dir in Directory.GetDirectories(lfw).Order(StringComparer.Ordinal))
        {
            var photos = Directory.GetFiles(dir, "*.jpg").Order(StringComparer.Ordinal).ToArray();
            if (photos.Length < Visits * PhotosPerVisit)
            {
                continue;
            }

            var faces = new List<float[]>();
            foreach (var photo in photos)
            {
                using var found = reader.Read(photo);
                // The labelled face of an LFW photo is its centre one.
                var face = found.Faces.OrderBy(f => Math.Abs(f.Box.X + (f.Box.Width / 2) - 125) + Math.Abs(f.Box.Y + (f.Box.Height / 2) - 125)).FirstOrDefault();
                if (face is not null)
                {
                    faces.Add(embedder.Embed([face.Crop])[0]);
                }

                if (faces.Count == Visits * PhotosPerVisit)
                {
                    break;
                }
            }

            if (faces.Count < Visits * PhotosPerVisit)
            {
                continue;
            }

            for (var v = 0; v < Visits; v++)
            {
                visits.Add((Path.GetFileName(dir), VectorMath.Normalized(VectorMath.Centroid(faces.GetRange(v * PhotosPerVisit, PhotosPerVisit)))));
            }

            if (visits.Count == People * Visits)
            {
                break;
            }
        }

        Assert.Equal(People * Visits, visits.Count);
        var results = new Dictionary<double, (int Groups, double Purity)>();
        foreach (var seed in new[] { 1, 2, 3 })
        foreach (var threshold in new[] { SameFaceCalibration.Default, 0.50, 0.55, StrangerGroups.Threshold(SameFaceCalibration.Default) })
        {
            var rng = new Random(seed);
            var order = visits.OrderBy(_ => rng.Next()).ToList();
            var ids = 0;
            var groups = new StrangerGroups([], () => $"s-{++ids:x8}");
            var personOf = new Dictionary<string, string>();
            var t0 = new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
            for (var i = 0; i < order.Count; i++)
            {
                var eventId = i.ToString(CultureInfo.InvariantCulture);
                personOf[eventId] = order[i].Person;
                groups.Add(new KeptVisit { EventId = eventId, Camera = "door", FirstSeen = t0.AddMinutes(i), LastSeen = t0.AddMinutes(i + 1), Embedding = order[i].Embedding }, threshold);
            }

            var pure = groups.All.Sum(g => g.Visits.GroupBy(v => personOf[v.EventId]).Max(p => p.Count()));
            var purity = pure / (double)order.Count;
            var split = visits.Select(v => v.Person).Distinct().Count(p => groups.All.Count(g => g.Visits.Any(v => personOf[v.EventId] == p)) > 1);
            results[threshold] = results.TryGetValue(threshold, out var worst) && worst.Purity < purity ? worst : (groups.All.Count, purity);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seed {seed} threshold {threshold:0.00}: {groups.All.Count} groups for {People} strangers ({order.Count} visits); purity {purity:P1}; {split} strangers split over two or more groups"));
        }

        // Purity first: at the grouping threshold every group is one stranger's, and few strangers are split.
        var (count, purityAtThreshold) = results[StrangerGroups.Threshold(SameFaceCalibration.Default)];
        Assert.True(purityAtThreshold >= 0.99, $"purity {purityAtThreshold:P1} at the grouping threshold");
        Assert.InRange(count, People, People * 5 / 4);
        // ...where the track's same-face point alone would merge strangers (what the stricter point is for).
        Assert.True(results[SameFaceCalibration.Default].Purity < purityAtThreshold);
    }
}
