namespace FaceWatch.Pipeline.Tracking;

/// <summary>One identification of one face of a track. <paramref name="Weight"/> (0..1) says how much to trust the face.</summary>
public sealed record IdentityObservation(string Name, bool Known, double Probability, double Similarity, double Weight);

/// <summary>A decision for a track: a known name, or <c>unknown</c>.</summary>
public sealed record IdentityDecision(string Name, bool Known, double Confidence, bool IsChange);

/// <summary>
/// Decides who a track is from its observations: a confident known face decides at once; otherwise weighted votes over
/// a window of recent observations, where the leader needs enough observations and a clear share, and <c>unknown</c>
/// needs several agreeing observations. A decision changes only when another name wins the same way. No ties.
/// </summary>
public sealed class IdentityVoter
{
    public const string UnknownName = "unknown";

    private readonly RecognitionOptions _options;
    private readonly Queue<IdentityObservation> _window = new();

    public IdentityVoter(RecognitionOptions options) => _options = options;

    public IdentityDecision? Current { get; private set; }

    public int Observations { get; private set; }

    /// <summary>Highest confidence of any decision so far.</summary>
    public double BestConfidence { get; private set; }

    /// <summary>Adds one observation; returns the new decision when it is the first one or a change, else null.</summary>
    public IdentityDecision? Add(IdentityObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        var normalised = observation.Known ? observation : observation with { Name = UnknownName };
        Observations++;
        _window.Enqueue(normalised);
        while (_window.Count > _options.Window)
        {
            _window.Dequeue();
        }

        var candidate = Decide(normalised);
        if (candidate is not null)
        {
            BestConfidence = Math.Max(BestConfidence, candidate.Confidence);
        }

        if (candidate is null || (Current is not null && Current.Name == candidate.Name))
        {
            if (candidate is not null)
            {
                Current = candidate with { IsChange = false };
            }

            return null;
        }

        var decision = candidate with { IsChange = Current is not null };
        Current = decision;
        return decision;
    }

    private IdentityDecision? Decide(IdentityObservation latest)
    {
        if (latest.Known && latest.Probability >= _options.StrongProbability && latest.Weight >= 0.75
            && (Current is null || !Current.Known))
        {
            // Strong evidence for a name decides a new track at once, or corrects an early "unknown".
            return new IdentityDecision(latest.Name, true, latest.Probability, false);
        }

        if (_window.Count < _options.MinObservations)
        {
            return null;
        }

        var tallies = _window
            .GroupBy(o => o.Name, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Count: g.Count(), Votes: g.Sum(Vote), Confidence: g.Average(Confidence), Known: g.First().Known))
            .OrderByDescending(t => t.Votes)
            .ToList();
        var total = tallies.Sum(t => t.Votes);
        var leader = tallies[0];
        if (total <= 0 || (tallies.Count > 1 && tallies[1].Votes >= leader.Votes))
        {
            return null; // a tie decides nothing
        }

        var needed = leader.Known ? _options.MinObservations : _options.MinUnknownObservations;
        if (leader.Count < needed || leader.Votes / total < _options.MinShare)
        {
            return null;
        }

        return new IdentityDecision(leader.Name, leader.Known, Math.Round(leader.Confidence, 4), false);
    }

    private static double Vote(IdentityObservation o) => Math.Max(0.05, o.Weight) * Confidence(o);

    // An "unknown" observation is as sure as the best name was unlikely.
    private static double Confidence(IdentityObservation o) =>
        Math.Clamp(o.Known ? o.Probability : Math.Max(0.5, 1 - o.Probability), 0, 1);
}
