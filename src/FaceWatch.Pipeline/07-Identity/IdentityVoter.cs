namespace FaceWatch.Pipeline.Identity;

/// <summary>One identification of one face of a track. <paramref name="Weight"/> (0..1) says how much to trust the face.</summary>
public sealed record IdentityObservation(string Name, bool Known, double Probability, double Similarity, double Weight)
{
    /// <summary>The closest enrolled person (also for <c>unknown</c>), when the gallery has anybody.</summary>
    public string? Nearest { get; init; }

    /// <summary>How far <see cref="Nearest"/> leads the second nearest person (similarity difference), when there is one.</summary>
    public double? Margin { get; init; }

    /// <summary>How many faces of the visit the answer is from: 1 for this face alone, more for the visit's accumulated evidence.</summary>
    public int Observations { get; init; } = 1;

    /// <summary>What the open-set rule thresholded (<see cref="Identification.IdentityMatch.Score"/>).</summary>
    public double Score { get; init; }

    /// <summary>The identifier's answer as an observation of weight <paramref name="weight"/> (0..1).</summary>
    public static IdentityObservation From(Identification.IdentityMatch match, double weight)
    {
        ArgumentNullException.ThrowIfNull(match);
        return new(match.Name, match.Known, match.Probability, match.Similarity, weight)
        {
            Nearest = match.Candidate, Margin = match.Margin, Observations = match.Observations, Score = match.Score,
        };
    }
}

/// <summary>
/// A decision for a track: a known name, <c>unknown</c>, or <c>ignored</c> (an ignored stranger, not known). <paramref name="Reason"/> says what made it:
/// <see cref="IdentityVoter.StrongEvidence"/> or <see cref="IdentityVoter.Votes"/>.
/// </summary>
public sealed record IdentityDecision(string Name, bool Known, double Confidence, bool IsChange, string Reason = IdentityVoter.Votes)
{
    /// <summary>The latest evidence behind the decision, to explain it (overlay): nearest enrolled person, similarity, margin.</summary>
    public string? Nearest { get; init; }

    public double Similarity { get; init; }

    public double? Margin { get; init; }
}

/// <summary>
/// Decides who a track is from its observations, with one rule for names and <c>unknown</c> alike. A label (a name, or
/// <c>unknown</c>) takes over, as the first decision or as a change, when either
/// <list type="bullet">
/// <item>the latest observations all say it strongly (confidence >= <c>StrongProbability</c> at full weight): one for a
/// first decision, <c>StrongRun</c> in a row for a change; or</item>
/// <item>it leads the weighted votes of the window with at least <c>MinShare</c> and enough observations
/// (<c>MinObservations</c>, or <c>MinUnknownObservations</c> for <c>unknown</c>). A tie decides nothing.</item>
/// </list>
/// After a take-over the window restarts with the observations that made it, so evidence for the previous label cannot
/// overrule the new decision at the next observation (that was the unknown/alice flapping), and the previous label
/// comes back only by the same rule.
/// </summary>
public sealed class IdentityVoter
{
    public const string UnknownName = "unknown";

    /// <summary>A face that matches an ignored stranger (<see cref="Identification.IdentityMatch.Ignored"/>): voted like <c>unknown</c>, not a person.</summary>
    public const string IgnoredName = Identification.IdentityMatch.Ignored;

    /// <summary><see cref="IdentityDecision.Reason"/>: strong observations decided.</summary>
    public const string StrongEvidence = "strong-evidence";

    /// <summary><see cref="IdentityDecision.Reason"/>: the weighted votes of the window decided.</summary>
    public const string Votes = "votes";

    private readonly IdentityOptions _options;
    private readonly List<IdentityObservation> _window = [];

    public IdentityVoter(IdentityOptions options) => _options = options;

    public IdentityDecision? Current { get; private set; }

    public int Observations { get; private set; }

    /// <summary>Highest confidence of any decision so far.</summary>
    public double BestConfidence { get; private set; }

    /// <summary>Adds one observation; returns the new decision when it is the first one or a change, else null.</summary>
    public IdentityDecision? Add(IdentityObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        // Not known is unknown, except an ignored stranger: a label of its own, so the visit says "ignored" (not a stranger).
        var normalised = observation.Known || observation.Name == IgnoredName ? observation : observation with { Name = UnknownName };
        Observations++;
        _window.Add(normalised);
        if (_window.Count > _options.Window)
        {
            _window.RemoveAt(0);
        }

        var candidate = Decide();
        if (candidate is null)
        {
            return null;
        }

        candidate = candidate with { Nearest = normalised.Nearest, Similarity = normalised.Similarity, Margin = normalised.Margin };

        BestConfidence = Math.Max(BestConfidence, candidate.Confidence);
        if (Current is not null && Current.Name == candidate.Name)
        {
            Current = candidate with { IsChange = false, Reason = Current.Reason };
            return null;
        }

        var decision = candidate with { IsChange = Current is not null };
        Current = decision;
        if (decision.IsChange && decision.Reason == StrongEvidence)
        {
            // Restart the window with the run that made the change (see the class summary).
            _window.RemoveRange(0, _window.Count - _options.StrongRun);
        }
        else if (decision.IsChange)
        {
            _window.RemoveAll(o => o.Name != decision.Name);
        }

        return decision;
    }

    private IdentityDecision? Decide()
    {
        var run = Current is null ? 1 : _options.StrongRun;
        if (_window.Count >= run)
        {
            var latest = _window[^1];
            var strong = true;
            for (var i = _window.Count - run; i < _window.Count && strong; i++)
            {
                strong = _window[i].Name == latest.Name && IsStrong(_window[i]);
            }

            if (strong)
            {
                return new IdentityDecision(latest.Name, latest.Known, Math.Round(Confidence(latest), 4), false, StrongEvidence);
            }
        }

        string? leader = null, second = null;
        double leaderVotes = 0, secondVotes = 0, total = 0;
        foreach (var name in _window.Select(o => o.Name).Distinct(StringComparer.Ordinal))
        {
            var votes = _window.Where(o => o.Name == name).Sum(Vote);
            total += votes;
            if (votes > leaderVotes)
            {
                (second, secondVotes) = (leader, leaderVotes);
                (leader, leaderVotes) = (name, votes);
            }
            else if (votes > secondVotes)
            {
                (second, secondVotes) = (name, votes);
            }
        }

        if (leader is null || total <= 0 || (second is not null && secondVotes >= leaderVotes))
        {
            return null; // a tie decides nothing
        }

        var supporting = _window.Where(o => o.Name == leader).ToList();
        var known = supporting[0].Known;
        var needed = known ? _options.MinObservations : _options.MinUnknownObservations;
        if (supporting.Count < needed || leaderVotes / total < _options.MinShare)
        {
            return null;
        }

        return new IdentityDecision(leader, known, Math.Round(supporting.Average(Confidence), 4), false, Votes);
    }

    private bool IsStrong(IdentityObservation o) => o.Weight >= 0.75 && Confidence(o) >= _options.StrongProbability;

    private static double Vote(IdentityObservation o) => Math.Max(0.05, o.Weight) * Confidence(o);

    // An "unknown" observation is as sure as the best name was unlikely (never below an even chance).
    private static double Confidence(IdentityObservation o) =>
        Math.Clamp(o.Known ? o.Probability : Math.Max(0.5, 1 - o.Probability), 0, 1);
}
