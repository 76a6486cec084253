using System.Globalization;
using FaceWatch.Commands.Scenarios;
using FaceWatch.Hosting.Strangers;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Tracking;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using Xunit.Abstractions;

namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// Issue 15, strangers remembered and grouped, end to end: the real daemon on a real RTSP stream built from real photos
/// (<see cref="StrangerReturnCatalog"/>: three LFW strangers come back three times each, from another photo every time,
/// while enrolled people come and go). With <c>Strangers:Enabled</c> the visits of each stranger are grouped (the number
/// of groups against the true strangers, and purity: every group's visits are one stranger's), enrolled people's named
/// visits are not kept, and forgetting a group deletes its files. Off, the same run writes nothing.
/// </summary>
[Collection(RealTimeCollection.Name)]
[Trait("Category", "Slow")]
public sealed class StrangerMemoryDaemonTests(StrangerReturnFixture set, ITestOutputHelper output) : IClassFixture<StrangerReturnFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-strangers-e2e").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Returning_strangers_are_grouped_purely_enrolled_people_are_not_kept_and_forget_deletes()
    {
        var truth = set.Truth;
        var folder = Path.Combine(_dir, "strangers");
        var run = await PlayAsync(truth, enabled: true, folder);

        var logs = new CollectingLoggerProvider();
        using var store = new StrangerStore(Options.Create(new StrangerOptions { Enabled = true, Folder = folder }), TimeProvider.System, new Logger<StrangerStore>(logs));
        Assert.Null(store.Problem);
        var groups = store.Groups();
        var score = OpenSetScorer.Score(truth, run.Frames, run.Events, run.Observations);
        var named = score.Enrolled.Where(v => v.Outcome == VisitOutcome.NamedRight).Select(v => v.Visit.Id).ToHashSet();
        var lefts = run.Events.Where(e => e.Event == IdentityEventKind.Left).ToDictionary(e => e.EventId);

        var failures = new List<string>();
        var members = new Dictionary<string, List<string>>();
        foreach (var group in groups)
        {
            var who = new List<string>();
            foreach (var eventId in store.VisitEventIds(group.Id))
            {
                var segment = lefts.TryGetValue(eventId, out var left) ? WhoLeft(left, run, truth) : null;
                if (segment is null)
                {
                    failures.Add($"group {group.Id}: visit {eventId} ends on no face of the truth");
                    continue;
                }

                who.Add(segment.Person);
                if (segment.Enrolled && named.Contains(segment.Id))
                {
                    failures.Add($"group {group.Id}: visit {eventId} is enrolled {segment.Person}'s, named by the daemon, and was kept");
                }
            }

            members[group.Id] = who;
            Assert.NotEmpty(group.Crops);
            Assert.All(group.Crops, c =>
            {
                // The aligned crop the embedder saw, as a JPEG.
                var jpeg = store.ReadCrop(group.Id, c.Index);
                Assert.NotNull(jpeg);
                using var image = Cv2.ImDecode(jpeg, ImreadModes.Color);
                Assert.Equal(new OpenCvSharp.Size(112, 112), image.Size());
            });
            Assert.Equal(group.Crops.Count, store.Embeddings(group.Id).Count);
            output.WriteLine($"group {group.Id}: {group.Visits} visits ({string.Join(", ", who)}), {group.Crops.Count} crops, {group.FirstSeen:HH:mm:ss.f}-{group.LastSeen:HH:mm:ss.f}");
        }

        var visits = members.Values.Sum(w => w.Count);
        var pure = members.Values.Sum(w => w.Count == 0 ? 0 : w.GroupBy(p => p).Max(g => g.Count()));
        var purity = visits == 0 ? 0 : pure / (double)visits;
        var strangers = truth.Segments.Where(s => !s.Enrolled).Select(s => s.Person).Distinct().Count();
        var strangerVisits = truth.Segments.Count(s => !s.Enrolled);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stranger grouping: {groups.Count} groups for {strangers} true strangers; {visits} visits kept of {strangerVisits} stranger visits; purity {purity:P1} ({pure} of {visits} visits in their group's majority stranger); enrolled visits named {named.Count} of {score.EnrolledVisits}"));
        var threshold = StrangerGroups.Threshold(FaceWatch.Pipeline.Identification.GalleryStore.Load(set.Set.GalleryPath).SameFace.Cosine);
        output.WriteLine(Separation(store.IndexPath, members.Keys.SelectMany(store.VisitEventIds).Zip(members.Values.SelectMany(w => w)).ToDictionary(p => p.First, p => p.Second), threshold));
        foreach (var v in score.Visits)
        {
            output.WriteLine($"  truth visit {v.Visit.Id} {(v.Visit.Enrolled ? "enrolled" : "stranger")} {v.Visit.Person} {v.Visit.Start:0.0}-{v.Visit.End:0.0} s: {v.Outcome}, {string.Join(", ", v.Decisions)}");
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        // The store took every stranger's faces from the events: no other holder of an event (web, MQTT) keeps a crop.
        Assert.Equal(groups.Sum(g => g.Visits), run.Events.Count(e => e.Faces is not null));
        Assert.All(run.Events, e => Assert.Equal(0, e.Faces?.Count ?? 0));
        Assert.True(named.Count >= score.EnrolledVisits - 1, $"only {named.Count} of {score.EnrolledVisits} enrolled visits named: the check that they are not kept says little");
        Assert.Equal(1.0, purity);
        Assert.True(visits >= strangerVisits - 2, $"{visits} of {strangerVisits} stranger visits kept");
        // Every true stranger is kept, in at most two groups each (purity first: a missed join shows a stranger twice).
        Assert.InRange(groups.Count, strangers, 2 * strangers);
        Assert.Equal(strangers, members.Values.SelectMany(w => w).Distinct().Count());

        // Forget: the group's crops and embeddings leave the disk at once.
        var forgotten = groups.OrderByDescending(g => g.Visits).First();
        var crops = Path.Combine(folder, StrangerStore.CropsFolderName);
        var before = Directory.GetFiles(crops).Length;
        Assert.True(await store.ForgetAsync(forgotten.Id, CancellationToken.None));
        Assert.Equal(before - forgotten.Crops.Count, Directory.GetFiles(crops).Length);
        Assert.DoesNotContain(forgotten.Id, await File.ReadAllTextAsync(store.IndexPath), StringComparison.Ordinal);
        Assert.Null(store.ReadCrop(forgotten.Id, forgotten.Crops[0].Index));
        using var reopened = new StrangerStore(Options.Create(new StrangerOptions { Enabled = true, Folder = folder }), TimeProvider.System, new Logger<StrangerStore>(logs));
        Assert.Null(reopened.Find(forgotten.Id));
        Assert.Equal(groups.Count - 1, reopened.Groups().Count);
    }

    [Fact]
    public async Task Off_the_same_run_writes_nothing_about_strangers()
    {
        var folder = Path.Combine(_dir, "strangers-off");
        var run = await PlayAsync(set.Truth, enabled: false, folder);

        // Strangers were there and left (so there was something to keep), and nothing was kept.
        Assert.Contains(run.Events, e => e.Event == IdentityEventKind.Left && e.Name == IdentityVoter.UnknownName);
        Assert.All(run.Events, e => Assert.Null(e.Faces));
        Assert.False(Directory.Exists(folder), $"{folder} was created");
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    private async Task<ScenarioRun> PlayAsync(ScenarioTruth truth, bool enabled, string folder)
    {
        var logs = new CollectingLoggerProvider();
        var run = await ScenarioPlayer.PlayAsync(truth, new ScenarioPlayOptions
        {
            GalleryPath = set.Set.GalleryPath,
            Configuration = ScenarioFixture.BaseConfiguration(),
            Rtsp = true,
            Settings = new Dictionary<string, string?>
            {
                ["Strangers:Enabled"] = enabled ? "true" : "false",
                ["Strangers:Folder"] = folder,
            },
            Configure = b => b.Logging.AddProvider(logs),
        }, CancellationToken.None);
        output.WriteLine($"{truth.Name}: {run.Frames.Count} frames processed ({run.UnreadableFrames} without a readable stamp), {run.Events.Count} events, {run.EmbeddedFaces} faces embedded in {run.Wall.TotalSeconds:0} s");
        foreach (var line in logs.Lines.Where(l => l.Level >= LogLevel.Warning || l.EventId is > 7400 and < 7500))
        {
            output.WriteLine($"  {line.Level} {line.EventId} {line.Message}");
        }

        Assert.True(run.Frames.Count > truth.FrameCount / 3, $"only {run.Frames.Count} of {truth.FrameCount} frames reached the overlay");
        Assert.Equal(enabled, logs.WithEvent(7401).Any());
        return run;
    }

    /// <summary>How far apart the kept visits' mean embeddings are: the least cosine between two visits of one stranger, the most between two strangers'.</summary>
    private static string Separation(string index, Dictionary<string, string> personOf, double threshold)
    {
        using var stream = File.OpenRead(index);
        var file = System.Text.Json.JsonSerializer.Deserialize(stream, StrangerJsonContext.Default.StrangerIndex)!;
        var visits = file.Groups.SelectMany(g => g.Visits).Where(v => personOf.ContainsKey(v.EventId)).ToList();
        var genuine = new List<double>();
        var impostor = new List<double>();
        for (var i = 0; i < visits.Count; i++)
        {
            for (var j = i + 1; j < visits.Count; j++)
            {
                var cosine = FaceWatch.Core.Numerics.VectorMath.Dot(visits[i].Embedding, visits[j].Embedding);
                (personOf[visits[i].EventId] == personOf[visits[j].EventId] ? genuine : impostor).Add(cosine);
            }
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"visit means: same stranger cosine min {genuine.DefaultIfEmpty(double.NaN).Min():0.000} (mean {genuine.DefaultIfEmpty(double.NaN).Average():0.000}, {genuine.Count} pairs), " +
            $"different strangers max {impostor.DefaultIfEmpty(double.NaN).Max():0.000} (mean {impostor.DefaultIfEmpty(double.NaN).Average():0.000}, {impostor.Count} pairs); grouping threshold {threshold:0.000}");
    }

    /// <summary>The truth visit a <c>left</c> ended on: the face under its last box in the frame it was last seen in.</summary>
    private static SegmentTruth? WhoLeft(IdentityEvent left, ScenarioRun run, ScenarioTruth truth)
    {
        var frame = run.Frames.MinBy(f => Math.Abs((f.CapturedAt - left.LastSeen).Ticks));
        if (frame is null)
        {
            return null;
        }

        var box = new Rect2f(left.Box.X, left.Box.Y, left.Box.W, left.Box.H);
        return truth.At(frame.Frame)
            .Select(h => (h.Segment, Iou: FaceTracker.Iou(box, h.Box.Rect)))
            .Where(h => h.Iou >= 0.3)
            .OrderByDescending(h => h.Iou)
            .FirstOrDefault().Segment;
    }
}
