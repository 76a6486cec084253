using FaceWatch.Core.Numerics;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;

namespace FaceWatch.Tests.Pipeline.Identification;

/// <summary>Issue 15: rejected matches (negatives of a person) and ignored strangers (negatives without one) in the identifier.</summary>
public class NegativeFaceTests
{
    private static readonly EmbeddingModelIdentity Model = new(new string('a', 64), "test.onnx", 112, 16);
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Four enrolled people and a fifth, never enrolled, whose faces are blended towards p1 until p1 is named.</summary>
    private static (Gallery Gallery, float[] LookAlike, List<float[]> Strangers) Setup()
    {
        var (x, y) = SvmClassifierTests.Clusters(5, 10, 16, 0.5, seed: 4);
        var people = Enumerable.Range(0, 4)
            .Select(c => new EnrolledPerson($"p{c}", x.Where((_, i) => y[i] == c).Select((v, i) => new EnrolledFace($"p{c}/{i}.jpg", v)).ToArray()))
            .ToList();
        var gallery = Gallery.Create(Model, people, Now);
        var strangers = x.Where((_, i) => y[i] == 4).ToList();
        var centre = VectorMath.Centroid([.. people[1].Faces.Select(f => f.Embedding)]);
        var identifier = new Identifier(gallery);
        // Deterministic search: the least p1-like blend that the gallery names p1 (a wrong match, as a look-alike gets).
        foreach (var w in Enumerable.Range(1, 19).Select(i => i / 20.0))
        {
            var blend = VectorMath.Normalized(strangers[0].Zip(centre, (s, c) => (float)(((1 - w) * s) + (w * c))).ToArray());
            if (identifier.Identify(blend) is { Known: true, Name: "p1" })
            {
                return (gallery, blend, strangers);
            }
        }

        throw new InvalidOperationException("no blend of the stranger and p1 is named p1");
    }

    private static float[] Nudge(float[] v, int seed)
    {
        var rng = new Random(seed);
        return VectorMath.Normalized(v.Select(f => f + (float)((rng.NextDouble() - 0.5) * 0.05)).ToArray());
    }

    private static Dictionary<string, string> Answers(Gallery gallery)
    {
        var identifier = new Identifier(gallery);
        return gallery.People.SelectMany(p => p.Faces).ToDictionary(f => f.Source, f => identifier.Identify(f.Embedding).Name);
    }

    [Fact]
    public void A_rejected_match_is_no_longer_named_that_person_and_the_enrolled_faces_still_are()
    {
        var (gallery, lookAlike, _) = Setup();
        var before = Answers(gallery);
        var rejected = gallery.WithNegatives([new NegativeFace("p1", "event:e1", lookAlike)], Now);
        var identifier = new Identifier(rejected);

        var m = identifier.Identify(lookAlike);
        Assert.Equal((IdentityMatch.Unknown, false, RejectionReason.Negative, "event:e1"), (m.Name, m.Known, m.RejectedBy, m.Negative));
        Assert.Equal("p1", m.Candidate);
        Assert.True(m.NegativeSimilarity > m.Similarity);
        // the same face seen again (another view, a little different) and a visit's evidence of it
        Assert.Equal(IdentityMatch.Unknown, identifier.Identify(Nudge(lookAlike, 1)).Name);
        Assert.Equal(IdentityMatch.Unknown, identifier.Identify(Nudge(lookAlike, 2), 4).Name);
        Assert.Equal(before, Answers(rejected));
    }

    [Fact]
    public void A_negative_of_another_person_changes_nothing()
    {
        var (gallery, lookAlike, _) = Setup();
        var other = new Identifier(gallery.WithNegatives([new NegativeFace("p2", "event:e2", lookAlike)], Now));
        Assert.Equal(("p1", true, (string?)null), (other.Identify(lookAlike).Name, other.Identify(lookAlike).Known, other.Identify(lookAlike).Negative));
    }

    [Fact]
    public void An_ignored_stranger_is_ignored_never_a_person_and_other_strangers_stay_unknown()
    {
        var (gallery, lookAlike, _) = Setup();
        var before = Answers(gallery);
        var strangers = SvmClassifierTests.Clusters(3, 10, 16, 0.5, seed: 9).X;
        var ignoring = gallery.WithNegatives([new NegativeFace(null, "stranger:s1", lookAlike)], Now);
        var identifier = new Identifier(ignoring);

        var m = identifier.Identify(Nudge(lookAlike, 3));
        Assert.Equal((IdentityMatch.Ignored, false, "stranger:s1"), (m.Name, m.Known, m.Negative));
        Assert.Equal(IdentityMatch.Ignored, identifier.Identify(lookAlike, 8).Name);
        Assert.Equal(before, Answers(ignoring)); // enrolled faces are nearer their own person than the anchor
        var far = strangers.Where(s => VectorMath.Dot(s, lookAlike) < ignoring.SameFace.Cosine).ToList();
        Assert.NotEmpty(far);
        Assert.All(far, s => Assert.Equal(new Identifier(gallery).Identify(s).Name, identifier.Identify(s).Name));
    }

    [Fact]
    public void A_face_below_the_same_face_threshold_of_a_negative_is_not_decided_by_it()
    {
        var (gallery, lookAlike, _) = Setup();
        // a negative orthogonal-ish to the look-alike: far below the same-face cosine
        var far = VectorMath.Normalized(lookAlike.Select((v, i) => i % 2 == 0 ? -v : v).ToArray());
        Assert.True(VectorMath.Dot(far, lookAlike) < gallery.SameFace.Cosine);
        var identifier = new Identifier(gallery.WithNegatives([new NegativeFace("p1", "event:e3", far), new NegativeFace(null, "stranger:s2", far)], Now));
        Assert.Equal(("p1", true), (identifier.Identify(lookAlike).Name, identifier.Identify(lookAlike).Known));
    }

    [Fact]
    public void The_summary_counts_negatives_per_person_and_ignored_and_says_whether_enrolled_faces_changed()
    {
        var (gallery, lookAlike, _) = Setup();
        Assert.Equal("no negatives", NegativeSummary.Of(gallery).Describe());
        var faces = gallery.FaceCount;
        var g = gallery.WithNegatives(
            [new NegativeFace("p1", "event:a", lookAlike), new NegativeFace("p1", "event:b", Nudge(lookAlike, 4)), new NegativeFace(null, "stranger:s", Nudge(lookAlike, 5))], Now);
        Assert.Equal($"3 negatives (p1 2, ignored 1); enrolled faces still named as before: 100% ({faces} of {faces})", NegativeSummary.Of(g).Describe());

        // a negative on one of p1's own faces takes that face (and its nearest neighbours) away from p1: the summary shows it
        var own = gallery.People[1].Faces[0].Embedding;
        var bad = NegativeSummary.Of(gallery.WithNegatives([new NegativeFace("p1", "event:c", own)], Now));
        Assert.True(bad.Unchanged < faces, bad.Describe());
        Assert.Contains($"of {faces})", bad.Describe(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ignored")]
    [InlineData("Ignored")]
    [InlineData("unknown")]
    [InlineData("UNKNOWN")]
    public void Unknown_and_ignored_are_reserved_names(string name)
    {
        Assert.StartsWith("is reserved", PersonName.Problem(name), StringComparison.Ordinal);
        var e = Assert.Throws<InvalidDataException>(() => PersonName.ThrowIfInvalid(name));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }
}
