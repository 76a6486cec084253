using System.Globalization;
using System.Text.Json;
using FaceWatch.Commands.Scenarios;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// Issue 10 end to end: each scenario video (see <see cref="ScenarioCatalog"/>) is served by the real RTSP test server,
/// watched by the real daemon, whose events a real MQTT client reads from a real mosquitto. Per visit of the ground
/// truth: the right name (or <c>unknown</c> for a stranger) is announced, no event or overlay label gives the face
/// another person's name, and there is at most one <c>arrived</c>.
/// </summary>
[Collection(RealTimeCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ScenarioStreamTests : IClassFixture<ScenarioFixture>, IClassFixture<MosquittoFixture>
{
    private readonly ScenarioFixture _scenarios;
    private readonly MosquittoFixture _mosquitto;
    private readonly ITestOutputHelper _output;

    public ScenarioStreamTests(ScenarioFixture scenarios, MosquittoFixture mosquitto, ITestOutputHelper output)
    {
        _scenarios = scenarios;
        _mosquitto = mosquitto;
        _output = output;
    }

    [Theory]
    [InlineData("doorway-cuts")]
    [InlineData("short-gaps")]
    [InlineData("walk-through")]
    [InlineData("crossing")]
    [InlineData("camera-cut")]
    [InlineData("long-stay")]
    public async Task Every_visit_is_announced_with_its_own_name_once_and_never_with_another_persons(string scenario)
    {
        var truth = _scenarios.Set[scenario];
        var (run, events) = await MqttScenarioRun.PlayAsync(truth, _scenarios.Set.GalleryPath, _mosquitto.Port, "facewatch-scenario-", _output);
        foreach (var e in events)
        {
            _output.WriteLine($"  {e.Event} #{e.TrackId} {e.Name} ({e.Confidence:0.00}) box {e.Box.X},{e.Box.Y} {e.Box.W}x{e.Box.H} last seen {e.LastSeen:HH:mm:ss.f}");
        }

        var score = ScenarioScorer.Score(truth, run.Frames, events);
        var failures = new List<string>();
        foreach (var v in score.Visits)
        {
            var what = string.Create(CultureInfo.InvariantCulture,
                $"visit {v.Visit.Id} ({v.Visit.Start:0.0}-{v.Visit.End:0.0} s, {v.Visit.Person}, expected '{v.Visit.Expected}'): {(v.NoEvent ? "no event" : string.Join(", ", v.Decisions))}");
            _output.WriteLine(what + (v.Inherited ? "; other names: " + string.Join(", ", v.WrongNames) : ""));
            if (!v.Named)
            {
                failures.Add($"{what}: never announced as '{v.Visit.Expected}'");
            }

            if (v.Inherited)
            {
                failures.Add($"{what}: carried another person's name ({string.Join(", ", v.WrongNames)})");
            }

            if (v.Arrivals > 1)
            {
                failures.Add($"{what}: {v.Arrivals} arrived events for one visit");
            }
        }

        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"IDF1 {score.Mot.Idf1:0.000}, ID switches {score.Mot.IdSwitches}, embeddings/s per face {run.EmbeddingsPerFaceSecond:0.00}"));
        Assert.True(failures.Count == 0, $"{truth.Name} ({truth.Description}):\n" + string.Join("\n", failures));
    }
}
