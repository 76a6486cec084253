using FaceWatch.Pipeline.Identification;

namespace FaceWatch.Tests.Pipeline.Identification;

/// <summary>Real film stills of six people: enroll most, identify the rest, keep one person out as a stranger.</summary>
[Collection(IdentificationCollection.Name)]
[Trait("Category", "Slow")]
public sealed class JurassicIdentificationTests(IdentificationFixture fx)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    /// <summary>Clean faces per person (the README's suspects left out), split: every third held out, in file order.</summary>
    private (List<EnrolledPerson> Enrolled, List<(string Person, EnrolledFace Face)> HeldOut) Split()
    {
        var enrolled = new List<EnrolledPerson>();
        var heldOut = new List<(string, EnrolledFace)>();
        foreach (var p in fx.Jurassic.Gallery.People)
        {
            var clean = p.Faces.Where(f => !IdentificationFixture.JurassicSuspects.Contains(f.Source.Replace('\\', '/'))).OrderBy(f => f.Source, StringComparer.Ordinal).ToArray();
            enrolled.Add(new EnrolledPerson(p.Name, clean.Where((_, i) => i % 3 != 2).ToArray()));
            heldOut.AddRange(clean.Where((_, i) => i % 3 == 2).Select(f => (p.Name, f)));
        }

        return (enrolled, heldOut);
    }

    [Fact]
    public void Held_out_photos_of_each_person_are_named_correctly()
    {
        var (enrolled, heldOut) = Split();
        var identifier = new Identifier(Gallery.Create(fx.Embedder.Identity, enrolled, Now));
        var evaluation = Evaluation.Run(identifier, heldOut);

        Assert.Equal(6, evaluation.PerLabel.Count);
        Assert.True(evaluation.Accuracy >= 0.90, $"held-out accuracy {evaluation.Accuracy:P1}; mistakes: {Mistakes(evaluation)}");
        foreach (var (person, score) in evaluation.PerLabel)
        {
            Assert.True(score.Correct >= score.Total - 2, $"{person}: {score.Correct} of {score.Total}; mistakes: {Mistakes(evaluation)}");
        }

        // Wrong names are the costly mistake: at most one among all held-out faces (the rest are right or unknown).
        Assert.True(evaluation.Faces.Count(f => f.Match.Known && f.Match.Name != f.Label) <= 1, Mistakes(evaluation));
    }

    [Fact]
    public void A_person_left_out_of_the_gallery_comes_out_unknown()
    {
        var (enrolled, heldOut) = Split();
        foreach (var stranger in new[] { "ian_malcolm", "owen_grady" })
        {
            var gallery = Gallery.Create(fx.Embedder.Identity, enrolled.Where(p => p.Name != stranger), Now);
            var identifier = new Identifier(gallery);
            var faces = enrolled.Single(p => p.Name == stranger).Faces.Concat(heldOut.Where(h => h.Person == stranger).Select(h => h.Face)).ToArray();
            var named = faces.Select(f => (f.Source, Match: identifier.Identify(f.Embedding))).Where(m => m.Match.Known).ToArray();
            Assert.True(named.Length <= faces.Length / 10,
                $"{stranger} (not enrolled) was named {named.Length} of {faces.Length} times: " +
                string.Join(", ", named.Select(n => $"{n.Source} as {n.Match.Name} (p {n.Match.Probability:F2}, s {n.Match.Similarity:F2})")));

            // The enrolled people are still recognised with the same thresholds.
            var genuine = Evaluation.Run(identifier, heldOut.Where(h => h.Person != stranger));
            Assert.True(genuine.Accuracy >= 0.85, $"without {stranger}: {genuine.Accuracy:P1}");
        }
    }

    [Fact]
    public void Enrollment_warns_about_most_of_the_known_mislabelled_files_and_few_others()
    {
        var issues = fx.Jurassic.Issues;
        var flagged = issues.Where(i => i.Kind is EnrollmentIssueKind.Suspect or EnrollmentIssueKind.NoFace or EnrollmentIssueKind.SeveralFaces)
            .Select(i => Path.GetRelativePath(TestPaths.Data("faces", "jurassic"), i.Kind == EnrollmentIssueKind.Suspect ? TestPaths.Data("faces", "jurassic", i.File) : i.File).Replace('\\', '/'))
            .ToHashSet();
        var hits = IdentificationFixture.JurassicSuspects.Count(flagged.Contains);
        Assert.True(hits >= IdentificationFixture.JurassicSuspects.Count / 2, $"flagged {hits} of {IdentificationFixture.JurassicSuspects.Count}");

        // Messages name the file; the far-from-rest check catches faces the detector could not tell apart.
        var suspect = issues.First(i => i.Kind == EnrollmentIssueKind.Suspect);
        Assert.Contains(suspect.File, suspect.Message, StringComparison.Ordinal);
        Assert.Contains("mislabelled", suspect.Message, StringComparison.Ordinal);
        Assert.Contains(issues, i => i.Kind == EnrollmentIssueKind.Suspect && i.File == "ellie_sattler/00000014.jpg");

        // Every person is enrolled, the WebP and PNG files named .jpg included.
        Assert.Equal(6, fx.Jurassic.Gallery.People.Count);
        Assert.Contains(fx.Jurassic.Gallery.People.Single(p => p.Name == "owen_grady").Faces, f => f.Source == "owen_grady/00000014.jpg");
        Assert.DoesNotContain(issues, i => i.Kind == EnrollmentIssueKind.Unreadable);
    }

    [Fact]
    public void The_gallery_classifies_its_own_faces_and_calibrates_thresholds_from_them()
    {
        var (enrolled, _) = Split();
        var gallery = Gallery.Create(fx.Embedder.Identity, enrolled, Now);
        var t = gallery.Thresholds;
        // The shipped MobileFaceNet prior sets the score threshold; every enrolled face adds one impostor score.
        Assert.StartsWith("prior:", t.Method, StringComparison.Ordinal);
        Assert.Equal(ScorePrior.BuiltIn(fx.Embedder.Identity.ModelId)!.Describe(), t.Prior);
        Assert.Equal(gallery.FaceCount, t.GalleryScores);
        Assert.InRange(t.Score, 0.35, 0.6);
        Assert.InRange(t.Probability, 0.5 / 6, 1.0 / 6);
        Assert.Equal(3, t.EvidenceScores.Count);
        Assert.True(t.EvidenceScores[0] >= t.Score && t.EvidenceScores[1] >= t.EvidenceScores[0] && t.EvidenceScores[2] >= t.EvidenceScores[1], string.Join(", ", t.EvidenceScores));
        Assert.True(Evaluation.OnGallery(new Identifier(gallery)).Accuracy >= 0.98);
    }

    private static string Mistakes(Evaluation e) =>
        string.Join(", ", e.Faces.Where(f => !f.Correct).Select(f => $"{f.Source} -> {f.Match.Name} (p {f.Match.Probability:F2}, s {f.Match.Similarity:F2})"));
}
