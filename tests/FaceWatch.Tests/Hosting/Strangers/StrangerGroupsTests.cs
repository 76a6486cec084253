using FaceWatch.Core.Numerics;
using FaceWatch.Hosting.Strangers;

namespace FaceWatch.Tests.Hosting.Strangers;

public sealed class StrangerGroupsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
    private int _ids;

    [Fact]
    public void Visits_of_one_face_join_one_group_and_another_face_starts_its_own()
    {
        var groups = New();
        var a1 = groups.Add(Visit(Face(0, 0.1f), 0), 0.5).Group;
        var a2 = groups.Add(Visit(Face(0, -0.1f), 1), 0.5).Group;
        var b = groups.Add(Visit(Face(1, 0), 2), 0.5).Group;

        Assert.Same(a1, a2);
        Assert.NotSame(a1, b);
        Assert.Equal(2, a1.Visits.Count);
        Assert.Equal(2, groups.All.Count);
        Assert.Equal(T0, a1.FirstSeen);
        Assert.Equal(T0.AddMinutes(1).AddSeconds(5), a1.LastSeen);
    }

    [Fact]
    public void The_threshold_decides_a_join()
    {
        // cos(a, b) = 0.6: one group at 0.55, two at 0.65.
        var a = Unit(1, 0);
        var b = Unit(0.6f, 0.8f);
        var loose = New();
        loose.Add(Visit(a, 0), 0.55);
        loose.Add(Visit(b, 1), 0.55);
        var strict = New();
        strict.Add(Visit(a, 0), 0.65);
        strict.Add(Visit(b, 1), 0.65);

        Assert.Single(loose.All);
        Assert.Equal(2, strict.All.Count);
    }

    [Fact]
    public void The_grouping_threshold_is_never_looser_than_the_calibrations_ceiling()
    {
        Assert.Equal(FaceWatch.Pipeline.Identification.SameFaceCalibration.Ceiling, StrangerGroups.Threshold(0.46));
        Assert.Equal(0.7, StrangerGroups.Threshold(0.7));
    }

    [Fact]
    public void A_visit_that_matches_two_groups_merges_them_into_the_older_id()
    {
        var groups = New();
        var older = groups.Add(Visit(Unit(1, 0.45f), 0), 0.9).Group;
        var newer = groups.Add(Visit(Unit(1, -0.45f), 1), 0.9).Group;
        Assert.Equal(2, groups.All.Count);
        var olderId = older.Id;
        var newerId = newer.Id;

        var (group, _, merged) = groups.Add(Visit(Unit(1, 0), 2), 0.9);

        Assert.Equal(olderId, group.Id);
        Assert.Equal([newerId], merged);
        Assert.Single(groups.All);
        Assert.Equal(3, group.Visits.Count);
        // Crop indices stay unique in the merged group.
        var indices = group.Visits.SelectMany(v => v.Crops).Select(c => c.Index).ToList();
        Assert.Equal(indices.Count, indices.Distinct().Count());
    }

    [Fact]
    public void Ids_are_stable_as_visits_join_and_leave()
    {
        var groups = New();
        var id = groups.Add(Visit(Face(0, 0), 0), 0.5).Group.Id;
        groups.Add(Visit(Face(0, 0.05f), 1), 0.5);
        groups.RemoveVisits(v => v.FirstSeen == T0);

        Assert.Equal(id, Assert.Single(groups.All).Id);
        Assert.Single(groups.All[0].Visits);
        Assert.StartsWith("s-", id, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_keeps_only_its_best_crops_and_hands_back_the_rest()
    {
        var groups = New();
        var dropped = new List<KeptCrop>();
        for (var i = 0; i < 5; i++)
        {
            dropped.AddRange(groups.Add(Visit(Face(0, 0), i, crops: 3, quality: i), 0.5).Dropped);
        }

        var group = Assert.Single(groups.All);
        Assert.Equal(StrangerGroups.MaxCropsPerGroup, group.Crops.Count());
        Assert.Equal(15 - StrangerGroups.MaxCropsPerGroup, dropped.Count);
        Assert.True(dropped.Max(c => c.Quality) <= group.Crops.Min(c => c.Quality));
        Assert.Equal(group.Crops.Select(c => c.Quality).OrderDescending(), group.ToRecord().Crops.Select(c => c.Quality));
    }

    [Fact]
    public void Removing_every_visit_removes_the_group()
    {
        var groups = New();
        groups.Add(Visit(Face(0, 0), 0), 0.5);
        var dropped = groups.RemoveVisits(_ => true);

        Assert.Empty(groups.All);
        Assert.Single(dropped);
    }

    [Fact]
    public void Linkage_is_the_mean_over_the_groups_visits()
    {
        var group = new KeptGroup { Visits = [Visit(Unit(1, 0), 0), Visit(Unit(0, 1), 1)] };
        Assert.Equal(0.5, StrangerGroups.Linkage(group, Unit(1, 0)), 6);
    }

    private StrangerGroups New() => new([], () => $"s-{++_ids:x8}");

    private static float[] Unit(float x, float y) => VectorMath.Normalized([x, y, 0, 0]);

    /// <summary>A face near axis <paramref name="axis"/>, tilted by <paramref name="tilt"/>.</summary>
    private static float[] Face(int axis, float tilt)
    {
        var v = new float[4];
        v[axis] = 1;
        v[3] = tilt;
        return VectorMath.Normalized(v);
    }

    private static KeptVisit Visit(float[] embedding, int minute, int crops = 1, double quality = 1) => new()
    {
        EventId = $"e{minute}",
        Camera = "door",
        FirstSeen = T0.AddMinutes(minute),
        LastSeen = T0.AddMinutes(minute).AddSeconds(5),
        Embedding = embedding,
        Crops = [.. Enumerable.Range(0, crops).Select(i => new KeptCrop { File = $"c-{minute}-{i}.jpg", Camera = "door", Quality = quality + (i / 10.0), Embedding = embedding })],
    };
}
