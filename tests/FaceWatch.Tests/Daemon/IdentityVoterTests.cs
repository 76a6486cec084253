using FaceWatch.Pipeline.Tracking;

namespace FaceWatch.Tests.Daemon;

public class IdentityVoterTests
{
    private readonly RecognitionOptions _options = new();

    private static IdentityObservation Known(string name, double p, double weight = 1) => new(name, true, p, 0.7, weight);

    private static IdentityObservation Stranger(double weight = 1) => new("unknown", false, 0.3, 0.2, weight);

    [Fact]
    public void One_strong_known_observation_decides_at_once()
    {
        var voter = new IdentityVoter(_options);
        var decision = voter.Add(Known("ada", 0.95));
        Assert.NotNull(decision);
        Assert.Equal("ada", decision.Name);
        Assert.True(decision.Known);
        Assert.False(decision.IsChange);
    }

    [Fact]
    public void A_weak_known_observation_alone_decides_nothing_but_two_agreeing_do()
    {
        var voter = new IdentityVoter(_options);
        Assert.Null(voter.Add(Known("ada", 0.5)));
        var decision = voter.Add(Known("ada", 0.55));
        Assert.Equal("ada", decision?.Name);
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
    public void An_early_unknown_is_corrected_by_strong_evidence_as_a_change()
    {
        var voter = new IdentityVoter(_options);
        IdentityDecision? first = null;
        for (var i = 0; i < _options.MinUnknownObservations; i++)
        {
            first = voter.Add(Stranger());
        }

        Assert.Equal(IdentityVoter.UnknownName, first?.Name);
        var change = voter.Add(Known("ada", 0.97));
        Assert.NotNull(change);
        Assert.Equal("ada", change.Name);
        Assert.True(change.IsChange);
    }

    [Fact]
    public void A_tie_decides_nothing()
    {
        var voter = new IdentityVoter(_options);
        Assert.Null(voter.Add(Known("ada", 0.6)));
        Assert.Null(voter.Add(Known("bob", 0.6)));
    }

    [Fact]
    public void Low_weight_faces_count_less_than_good_ones()
    {
        var voter = new IdentityVoter(_options);
        voter.Add(Known("ada", 0.6, weight: 1));
        voter.Add(Known("bob", 0.6, weight: 0.1));
        var decision = voter.Add(Known("ada", 0.6, weight: 1));
        Assert.Equal("ada", decision?.Name);
    }
}
