using System.Globalization;

namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// What a gallery's negatives are and what they cost: how many per person and ignored strangers, and how many enrolled
/// faces the identifier still names as it would without them (a negative that took a person's own faces away would show
/// here). For the gallery's load line and <c>facewatch evaluate</c>.
/// </summary>
public sealed record NegativeSummary(int Count, IReadOnlyList<(string Person, int Count)> PerPerson, int Ignored, int EnrolledFaces, int Unchanged)
{
    public static NegativeSummary Of(Gallery gallery)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        var negatives = gallery.Negatives;
        var perPerson = negatives.Where(n => n.Person is not null).GroupBy(n => n.Person!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count())).ToArray();
        var ignored = negatives.Count(n => n.Person is null);
        var faces = gallery.People.SelectMany(p => p.Faces).ToArray();
        if (negatives.Count == 0)
        {
            return new NegativeSummary(0, perPerson, 0, faces.Length, faces.Length);
        }

        var with = new Identifier(gallery);
        var without = new Identifier(gallery.WithoutNegatives(_ => true, gallery.CreatedAt));
        var unchanged = faces.Count(f => with.Identify(f.Embedding).Name == without.Identify(f.Embedding).Name);
        return new NegativeSummary(negatives.Count, perPerson, ignored, faces.Length, unchanged);
    }

    /// <summary>E.g. <c>3 negatives (alice 2, ignored 1); enrolled faces still named as before: 100 % (40 of 40)</c>.</summary>
    public string Describe()
    {
        if (Count == 0)
        {
            return "no negatives";
        }

        var parts = PerPerson.Select(p => $"{PersonName.Escape(p.Person)} {p.Count}").ToList();
        if (Ignored > 0)
        {
            parts.Add($"{IdentityMatch.Ignored} {Ignored}");
        }

        var share = EnrolledFaces == 0 ? "n/a" : (Unchanged / (double)EnrolledFaces).ToString("0.#%", CultureInfo.InvariantCulture);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{Count} negative{(Count == 1 ? "" : "s")} ({string.Join(", ", parts)}); enrolled faces still named as before: {share} ({Unchanged} of {EnrolledFaces})");
    }
}
