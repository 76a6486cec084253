using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
using Microsoft.Extensions.Time.Testing;

namespace FaceWatch.Tests.Pipeline.Publishing;

/// <summary>Per-person presence over all cameras, on a fake clock.</summary>
public sealed class PersonPresenceTests
{
    private static readonly TimeSpan Away = TimeSpan.FromSeconds(60);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero));

    private PersonPresence Make(params string[] enrolled)
    {
        var presence = new PersonPresence(Away, _time);
        presence.SetEnrolled(enrolled);
        return presence;
    }

    private IdentityEvent Event(string kind, string camera, long track, string name, double confidence = 0.9) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        Event = kind,
        Camera = camera,
        TrackId = track,
        Name = name,
        Known = name != "unknown",
        Confidence = confidence,
        Box = new EventBox(1, 2, 3, 4),
        FrameWidth = 640,
        FrameHeight = 480,
        Timestamp = _time.GetUtcNow(),
        FirstSeen = _time.GetUtcNow().AddSeconds(-1),
        LastSeen = _time.GetUtcNow(),
        LatencyMs = 1,
    };

    [Fact]
    public void Enrolled_people_start_away_since_now_with_nothing_seen()
    {
        var presence = new PersonPresence(Away, _time);
        var change = presence.SetEnrolled(["Bob", "Alice"]);
        Assert.Equal(["Alice", "Bob"], change.Added.Select(s => s.Name));
        Assert.Empty(change.Removed);
        var alice = presence.Get("Alice")!;
        Assert.Equal(PresenceStates.Away, alice.State);
        Assert.Equal(_time.GetUtcNow(), alice.Since);
        Assert.Null(alice.Camera);
        Assert.Null(alice.LastSeen);
        Assert.Null(alice.Confidence);
    }

    [Fact]
    public void A_known_arrival_makes_the_person_present_with_camera_since_and_confidence()
    {
        var presence = Make("Alice", "Bob");
        var arrived = Event(IdentityEventKind.Arrived, "porch", 1, "Alice", 0.87);
        var state = presence.Apply(arrived);

        Assert.NotNull(state);
        Assert.Equal(PresenceStates.Present, state.State);
        Assert.Equal("porch", state.Camera);
        Assert.Equal(arrived.FirstSeen, state.Since);
        Assert.Equal(arrived.LastSeen, state.LastSeen);
        Assert.Equal(0.87, state.Confidence);
        Assert.Equal(PresenceStates.Away, presence.Get("Bob")!.State);
    }

    [Fact]
    public void Away_only_after_the_timeout_with_no_camera_in_view()
    {
        var presence = Make("Alice");
        presence.Apply(Event(IdentityEventKind.Arrived, "porch", 1, "Alice"));
        _time.Advance(TimeSpan.FromSeconds(120));
        Assert.Empty(presence.CheckAway()); // still in view, however long

        var left = presence.Apply(Event(IdentityEventKind.Left, "porch", 1, "Alice"));
        Assert.Equal(PresenceStates.Present, left!.State);
        Assert.Equal(_time.GetUtcNow(), left.LastSeen);
        var leftAt = _time.GetUtcNow();

        _time.Advance(Away - TimeSpan.FromSeconds(1));
        Assert.Empty(presence.CheckAway());
        _time.Advance(TimeSpan.FromSeconds(1));
        var away = Assert.Single(presence.CheckAway());
        Assert.Equal(PresenceStates.Away, away.State);
        Assert.Equal(leftAt + Away, away.Since);
        Assert.Equal("porch", away.Camera);
        Assert.Equal(leftAt, away.LastSeen);
        Assert.Empty(presence.CheckAway()); // once
    }

    [Fact]
    public void In_view_of_another_camera_keeps_them_present_and_the_camera_is_the_last_seen()
    {
        var presence = Make("Alice");
        var first = presence.Apply(Event(IdentityEventKind.Arrived, "porch", 1, "Alice"))!;
        _time.Advance(TimeSpan.FromSeconds(5));
        var second = presence.Apply(Event(IdentityEventKind.Arrived, "garden", 4, "Alice", 0.95))!;
        Assert.Equal("garden", second.Camera);
        Assert.Equal(first.Since, second.Since); // still the same presence
        Assert.Equal(0.95, second.Confidence);

        presence.Apply(Event(IdentityEventKind.Left, "porch", 1, "Alice"));
        _time.Advance(Away * 2);
        Assert.Empty(presence.CheckAway());
        presence.Apply(Event(IdentityEventKind.Left, "garden", 4, "Alice"));
        _time.Advance(Away);
        Assert.Single(presence.CheckAway());
    }

    [Fact]
    public void Seen_again_before_the_timeout_stays_present_with_the_same_since()
    {
        var presence = Make("Alice");
        var since = presence.Apply(Event(IdentityEventKind.Arrived, "porch", 1, "Alice"))!.Since;
        presence.Apply(Event(IdentityEventKind.Left, "porch", 1, "Alice"));
        _time.Advance(Away / 2);
        var back = presence.Apply(Event(IdentityEventKind.Arrived, "porch", 2, "Alice"))!;
        Assert.Equal(since, back.Since);
        _time.Advance(Away * 2);
        Assert.Empty(presence.CheckAway());
    }

    [Fact]
    public void A_track_renamed_to_someone_else_or_unknown_no_longer_keeps_them_in_view()
    {
        var presence = Make("Alice", "Bob");
        presence.Apply(Event(IdentityEventKind.Arrived, "porch", 1, "Alice"));
        var bob = presence.Apply(Event(IdentityEventKind.Changed, "porch", 1, "Bob"));
        Assert.Equal(PresenceStates.Present, bob!.State);
        Assert.Null(presence.Apply(Event(IdentityEventKind.Changed, "porch", 1, "unknown")));

        _time.Advance(Away);
        Assert.Equal(["Alice", "Bob"], presence.CheckAway().Select(s => s.Name).Order());
    }

    [Fact]
    public void Strangers_and_people_not_enrolled_have_no_state()
    {
        var presence = Make("Alice");
        Assert.Null(presence.Apply(Event(IdentityEventKind.Arrived, "porch", 1, "unknown")));
        Assert.Null(presence.Apply(Event(IdentityEventKind.Arrived, "porch", 2, "Mallory")));
        Assert.Null(presence.Get("Mallory"));
        Assert.Equal(["Alice"], presence.All().Select(s => s.Name));
    }

    [Fact]
    public void A_removed_person_is_forgotten_and_reported_and_a_new_one_starts_away()
    {
        var presence = Make("Alice", "Bob");
        presence.Apply(Event(IdentityEventKind.Arrived, "porch", 1, "Bob"));
        var change = presence.SetEnrolled(["Alice", "Carol"]);
        Assert.Equal(["Bob"], change.Removed);
        Assert.Equal("Carol", Assert.Single(change.Added).Name);
        Assert.Null(presence.Get("Bob"));
        Assert.Null(presence.Apply(Event(IdentityEventKind.Left, "porch", 1, "Bob")));
        Assert.Equal(["Alice", "Carol"], presence.All().Select(s => s.Name));
    }

    [Fact]
    public void The_timeout_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PersonPresence(TimeSpan.Zero, _time));
    }
}
