using FaceWatch.Pipeline.Identity;

namespace FaceWatch.Tests.Pipeline.Identity;

public class IdentityVoterTests
{
    private readonly IdentityOptions _options = new();

    private static IdentityObservation Known(string name, double p, double weight = 1) => new(name, true, p, 0.7, weight);

    private static IdentityObservation Stranger(double p = 0.3, double weight = 1) => new("unknown", false, p, 0.2, weight);

    [Fact]
    public void One_strong_known_observation_decides_at_once()
    {
        var voter = new IdentityVoter(_options);
        var decision = voter.Add(Known("ada", 0.95));
        Assert.NotNull(decision);
        Assert.Equal(("ada", true, false, IdentityVoter.StrongEvidence), (decision.Name, decision.Known, decision.IsChange, decision.Reason));
    }

    [Fact]
    public void A_weak_known_observation_alone_decides_nothing_but_two_agreeing_do()
    {
        var voter = new IdentityVoter(_options);
        Assert.Null(voter.Add(Known("ada", 0.5)));
        var decision = voter.Add(Known("ada", 0.55));
        Assert.Equal(("ada", IdentityVoter.Votes), (decision?.Name, decision?.Reason));
    }

    [Fact]
    public void Unknown_needs_several_agreeing_observations()
    {
        var voter = new IdentityVoter(_options);
        for (var i = 1; i < _options.MinUnknownObservations; i++)
        {
            Assert.Null(voter.Add(Stranger()));
        }

        var decision = voter.Add(Stranger());
        Assert.NotNull(decision);
        Assert.Equal(IdentityVoter.UnknownName, decision.Name);
        Assert.False(decision.Known);
    }

    [Fact]
    public void Same_decision_again_is_not_reported_twice()
    {
        var voter = new IdentityVoter(_options);
        Assert.NotNull(voter.Add(Known("ada", 0.95)));
        for (var i = 0; i < 10; i++)
        {
            Assert.Null(voter.Add(Known("ada", 0.9)));
        }

        Assert.Equal(11, voter.Observations);
    }

    [Fact]
    public void An_early_unknown_is_corrected_by_a_run_of_strong_evidence_as_a_change()
    {
        var voter = new IdentityVoter(_options);
        IdentityDecision? first = null;
        for (var i = 0; i < _options.MinUnknownObservations; i++)
        {
            first = voter.Add(Stranger());
        }

        Assert.Equal(IdentityVoter.UnknownName, first?.Name);
        Assert.Null(voter.Add(Known("ada", 0.97))); // one strong face is not yet a run
        var change = voter.Add(Known("ada", 0.96));
        Assert.NotNull(change);
        Assert.Equal(("ada", true, IdentityVoter.StrongEvidence), (change.Name, change.IsChange, change.Reason));
    }

    [Fact]
    public void Strong_evidence_that_it_is_not_the_person_changes_the_decision_within_two_observations()
    {
        var voter = new IdentityVoter(_options);
        Assert.NotNull(voter.Add(Known("ada", 0.95)));
        Assert.Null(voter.Add(Stranger(p: 0.05)));
        var change = voter.Add(Stranger(p: 0.05));
        Assert.Equal((IdentityVoter.UnknownName, true), (change?.Name, change?.IsChange));
    }

    [Fact]
    public void A_change_made_by_strong_evidence_is_not_undone_at_the_next_face_by_the_votes_before_it()
    {
        // The old rule: unknown -> alice (strong faces) -> unknown at the next look (the window still held four unknowns).
        var voter = new IdentityVoter(_options);
        for (var i = 0; i < _options.MinUnknownObservations; i++)
        {
            voter.Add(Stranger());
        }

        Assert.Null(voter.Add(Known("alice", 0.95)));
        Assert.Equal("alice", voter.Add(Known("alice", 0.95))?.Name);
        Assert.Null(voter.Add(Stranger()));
        Assert.Null(voter.Add(Known("alice", 0.7)));
        Assert.Equal("alice", voter.Current?.Name);
    }

    [Fact]
    public void A_tie_decides_nothing()
    {
        // bob leads the first count, has the observations MinObservations asks for and half the votes (MinShare 0.5):
        // only the tie rule stops him.
        var voter = new IdentityVoter(new IdentityOptions { MinShare = 0.5 });
        Assert.Null(voter.Add(Known("bob", 0.6, weight: 0.5)));
        Assert.Null(voter.Add(Known("ada", 0.6, weight: 1)));
        Assert.Null(voter.Add(Known("bob", 0.6, weight: 0.5)));
        Assert.Equal("bob", voter.Add(Known("bob", 0.6, weight: 0.5))?.Name); // no longer a tie
    }

    [Fact]
    public void Low_weight_faces_count_less_than_good_ones()
    {
        // ada has more observations, bob more weight: counted by heads ada would win.
        var voter = new IdentityVoter(_options);
        Assert.Null(voter.Add(Known("bob", 0.6, weight: 1)));
        Assert.Null(voter.Add(Known("ada", 0.6, weight: 0.1)));
        Assert.Null(voter.Add(Known("ada", 0.6, weight: 0.1)));
        Assert.Equal("bob", voter.Add(Known("bob", 0.6, weight: 1))?.Name);
    }

    [Fact]
    public void A_steady_stranger_with_an_occasional_confident_look_alike_face_never_flaps()
    {
        // Every third face of the stranger looks strongly like alice, the rest say unknown: whatever is decided first,
        // the decision settles and then stays (the old rule went unknown -> alice -> unknown -> alice).
        var voter = new IdentityVoter(_options);
        var decisions = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            if (voter.Add(i % 3 == 2 ? Known("alice", 0.9) : Stranger()) is { } decision)
            {
                decisions.Add(decision.Name);
            }
        }

        Assert.Equal(IdentityVoter.UnknownName, voter.Current?.Name);
        Assert.True(decisions.Count <= 2, string.Join(" -> ", decisions));
    }

    [Fact]
    public void A_steady_known_face_with_an_occasional_poor_look_never_flaps()
    {
        var voter = new IdentityVoter(_options);
        var decisions = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            if (voter.Add(i % 3 == 2 ? Stranger(p: 0.1) : Known("alice", 0.9)) is { } decision)
            {
                decisions.Add(decision.Name);
            }
        }

        Assert.Equal(["alice"], decisions);
    }

    [Fact]
    public void Ignored_faces_are_a_label_of_their_own_not_a_person_and_not_unknown()
    {
        var voter = new IdentityVoter(_options);
        IdentityDecision? decision = null;
        for (var i = 0; i < _options.MinUnknownObservations && decision is null; i++)
        {
            decision = voter.Add(new IdentityObservation(IdentityVoter.IgnoredName, false, 0.3, 0.2, 1));
        }

        Assert.NotNull(decision);
        Assert.Equal((IdentityVoter.IgnoredName, false), (decision.Name, decision.Known));
        // any other name that is not known is still unknown
        Assert.Equal(IdentityVoter.UnknownName, RunOf(new IdentityObservation("someone", false, 0.3, 0.2, 1))?.Name);
    }

    private IdentityDecision? RunOf(IdentityObservation observation)
    {
        var voter = new IdentityVoter(_options);
        IdentityDecision? decision = null;
        for (var i = 0; i < _options.MinUnknownObservations + 2 && decision is null; i++)
        {
            decision = voter.Add(observation);
        }

        return decision;
    }
}
