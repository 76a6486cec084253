using System.ComponentModel.DataAnnotations;

namespace FaceWatch.Pipeline.Identity;

/// <summary>
/// Section <c>Identity</c>: how a track's observations become a visit's decision (when to embed, how votes decide, when
/// a decision may change, when a visit goes on after its track ended). Cross-field rules are in <see cref="IdentityOptionsValidator"/>.
/// </summary>
public sealed class IdentityOptions
{
    public const string SectionName = "Identity";

    /// <summary>While undecided, embed the track at most every this many detected frames...</summary>
    [Range(1, 1000)]
    public int EmbedEveryFrames { get; set; } = 3;

    /// <summary>...or sooner when the face is this much larger (side) or sharper than the best so far.</summary>
    [Range(1.0, 10.0)]
    public double BetterFaceRatio { get; set; } = 1.3;

    /// <summary>A decided track with this many observations is settled: then only re-verified every <see cref="VerifySeconds"/>.</summary>
    [Range(1, 1000)]
    public int SettledObservations { get; set; } = 4;

    /// <summary>
    /// A settled track's face is embedded again this often to verify it is still the same person (a change of person
    /// at the same spot is caught within about this time plus one embedding). Doubt (a gap, a cut, a jump) embeds at once.
    /// </summary>
    [Range(0.1, 60)]
    public double VerifySeconds { get; set; } = 0.5;

    /// <summary>One known observation with at least this probability (and a face of full weight) is strong evidence.</summary>
    [Range(0.0, 1.0)]
    public double StrongProbability { get; set; } = 0.85;

    /// <summary>This many consecutive strong observations for another label change a decision at once (a first decision needs one).</summary>
    [Range(1, 100)]
    public int StrongRun { get; set; } = 2;

    /// <summary>Otherwise: a known name needs at least this many observations in the window...</summary>
    [Range(1, 100)]
    public int MinObservations { get; set; } = 2;

    /// <summary>...and <c>unknown</c> at least this many.</summary>
    [Range(1, 100)]
    public int MinUnknownObservations { get; set; } = 4;

    /// <summary>The leading label needs this share of the weighted votes (0.5..1) to decide or to change a decision.</summary>
    [Range(0.5, 1.0)]
    public double MinShare { get; set; } = 0.6;

    /// <summary>Votes are counted over the latest this many observations since the last change of decision.</summary>
    [Range(1, 1000)]
    public int Window { get; set; } = 12;

    /// <summary>
    /// A decided person whose track ended and whose face (appearance template) is seen again on the same camera within
    /// this many seconds continues the same visit (a camera cut, an occlusion): no second <c>arrived</c>, one <c>left</c>
    /// at the end. 0 turns this off.
    /// </summary>
    [Range(0.0, 600)]
    public double RejoinSeconds { get; set; } = 4;

    /// <summary>
    /// Least cosine of a new track's face to an ended visit's appearance template for the track to continue that visit
    /// (and the gallery's same-face cosine, whichever is higher). Stricter than continuity within a track: a rejoin
    /// links two tracks by appearance alone, and a look-alike entering where someone left must start their own visit.
    /// </summary>
    [Range(0.0, 1.0)]
    public double RejoinSimilarity { get; set; } = 0.6;
}
