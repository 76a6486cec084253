using FaceWatch.Pipeline.Identification;
using Xunit.Abstractions;

namespace FaceWatch.Tests.Pipeline.Identification;

/// <summary>
/// Issue 15, negative feedback on the real photos and models: a real face that the gallery names as the wrong person
/// stops matching them after <c>reject</c>, and the enrolled people's held-out photos are named as before (accuracy
/// before and after printed); an ignored stranger's face comes out <c>ignored</c> and the enrolled people are unaffected.
/// </summary>
[Collection(IdentificationCollection.Name)]
[Trait("Category", "Slow")]
public sealed class NegativeFeedbackPhotoTests(IdentificationFixture fx, ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    /// <summary>
    /// faces/jurassic without its suspects, every third photo held out; one person at a time is left out of the gallery
    /// (at the 5 % operating point, where strangers are named often enough to find one), in name order, and the first of
    /// their photos (in file order) that the gallery names as somebody is the wrong match.
    /// </summary>
    private (Gallery Gallery, string Stranger, EnrolledFace[] StrangerFaces, EnrolledFace Wrong, string NamedAs, List<(string Person, EnrolledFace Face)> HeldOut) FindWrongMatch()
    {
        var enrolled = new List<EnrolledPerson>();
        var heldOut = new List<(string Person, EnrolledFace Face)>();
        foreach (var p in fx.Jurassic.Gallery.People.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var clean = p.Faces.Where(f => !IdentificationFixture.JurassicSuspects.Contains(f.Source.Replace('\\', '/'))).OrderBy(f => f.Source, StringComparer.Ordinal).ToArray();
            enrolled.Add(new EnrolledPerson(p.Name, clean.Where((_, i) => i % 3 != 2).ToArray()));
            heldOut.AddRange(clean.Where((_, i) => i % 3 == 2).Select(f => (p.Name, f)));
        }

        foreach (var stranger in enrolled)
        {
            var gallery = Gallery.Create(fx.Embedder.Identity, enrolled.Where(p => p != stranger), Now,
                calibration: new GalleryCalibration(ScorePrior.BuiltIn(fx.Embedder.Identity.ModelId), OpenSetCalibration.MaxStrangerRate));
            var identifier = new Identifier(gallery);
            var faces = stranger.Faces.Concat(heldOut.Where(h => h.Person == stranger.Name).Select(h => h.Face)).OrderBy(f => f.Source, StringComparer.Ordinal).ToArray();
            if (faces.Select(f => (Face: f, Match: identifier.Identify(f.Embedding))).FirstOrDefault(m => m.Match.Known) is { Face: not null } wrong)
            {
                return (gallery, stranger.Name, faces, wrong.Face, wrong.Match.Name, heldOut.Where(h => h.Person != stranger.Name).ToList());
            }
        }

        throw new InvalidOperationException("no left-out person's photo is named as anybody at the 5 % operating point");
    }

    [Fact]
    public void A_rejected_wrong_match_stops_matching_and_the_enrolled_people_are_named_as_before()
    {
        var (gallery, stranger, strangerFaces, wrong, namedAs, heldOut) = FindWrongMatch();
        var before = new Identifier(gallery);
        var after = new Identifier(gallery.WithNegatives([new NegativeFace(namedAs, "event:photo-test", wrong.Embedding)], Now));

        var rejected = after.Identify(wrong.Embedding);
        Assert.False(rejected.Known);
        Assert.Equal((IdentityMatch.Unknown, RejectionReason.Negative, namedAs), (rejected.Name, rejected.RejectedBy, rejected.Candidate));

        var accuracyBefore = Evaluation.Run(before, heldOut);
        var accuracyAfter = Evaluation.Run(after, heldOut);
        var namedBefore = strangerFaces.Count(f => before.Identify(f.Embedding).Name == namedAs);
        var namedAfter = strangerFaces.Count(f => after.Identify(f.Embedding).Name == namedAs);
        var summary = NegativeSummary.Of(after.Gallery);
        output.WriteLine($"wrong match: {wrong.Source} ({stranger}, not enrolled) named {namedAs}; rejected as a negative of {namedAs}");
        output.WriteLine($"{stranger}'s {strangerFaces.Length} photos named {namedAs}: before {namedBefore}, after {namedAfter}");
        output.WriteLine($"held-out photos of the {gallery.People.Count} enrolled people: before {accuracyBefore.Correct}/{accuracyBefore.Total} ({accuracyBefore.Accuracy:P1}), after {accuracyAfter.Correct}/{accuracyAfter.Total} ({accuracyAfter.Accuracy:P1})");
        output.WriteLine($"gallery summary: {summary.Describe()}");

        Assert.True(namedAfter < namedBefore);
        // The bound: the negative may cost at most one held-out photo of the enrolled people (it is near a look-alike of theirs).
        Assert.True(accuracyAfter.Correct >= accuracyBefore.Correct - 1, $"before {accuracyBefore.Correct}, after {accuracyAfter.Correct} of {accuracyAfter.Total}");
        Assert.Equal(summary.EnrolledFaces, summary.Unchanged); // every enrolled photo still named as before
    }

    [Fact]
    public void An_ignored_strangers_photos_come_out_ignored_and_the_enrolled_people_are_named_as_before()
    {
        var (gallery, stranger, strangerFaces, wrong, _, heldOut) = FindWrongMatch();
        var before = new Identifier(gallery);
        var after = new Identifier(gallery.WithNegatives([new NegativeFace(null, "stranger:photo-test", wrong.Embedding)], Now));

        Assert.Equal((IdentityMatch.Ignored, false), (after.Identify(wrong.Embedding).Name, after.Identify(wrong.Embedding).Known));
        var ignored = strangerFaces.Count(f => after.Identify(f.Embedding).Name == IdentityMatch.Ignored);
        var knownBefore = strangerFaces.Count(f => before.Identify(f.Embedding).Known);
        var knownAfter = strangerFaces.Count(f => after.Identify(f.Embedding).Known);
        var accuracyBefore = Evaluation.Run(before, heldOut);
        var accuracyAfter = Evaluation.Run(after, heldOut);
        output.WriteLine($"ignored {stranger} by {wrong.Source}: {ignored} of their {strangerFaces.Length} photos ignored; named as somebody before {knownBefore}, after {knownAfter}");
        output.WriteLine($"held-out photos of the enrolled people: before {accuracyBefore.Correct}/{accuracyBefore.Total}, after {accuracyAfter.Correct}/{accuracyAfter.Total}");

        Assert.True(knownAfter < knownBefore);
        Assert.True(accuracyAfter.Correct >= accuracyBefore.Correct - 1, $"before {accuracyBefore.Correct}, after {accuracyAfter.Correct} of {accuracyAfter.Total}");
        Assert.Equal(NegativeSummary.Of(after.Gallery).EnrolledFaces, NegativeSummary.Of(after.Gallery).Unchanged);
    }
}
