using System.CommandLine;
using System.Globalization;
using FaceWatch.Commands.Scenarios;
using FaceWatch.Configuration;
using FaceWatch.Hosting;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceWatch.Commands;

/// <summary>
/// <c>facewatch bench tracking</c>: identity integrity on synthetic scenario streams (doorway cuts, short gaps,
/// walk-throughs, crossings, a camera cut, a long stay) built from the shared test photos, played through the real
/// daemon. Prints per scenario the visits, how many were named, given another person's name, or got no event, extra
/// arrivals, ID switches, IDF1, and embeddings per second per face (medians over --repeat runs).
/// </summary>
internal static class BenchTrackingCommand
{
    public static Command Create()
    {
        var scenarios = new Option<string[]>("--scenario")
        {
            Description = $"Scenarios to play (default all: {string.Join(", ", ScenarioCatalog.Names)}).",
            AllowMultipleArgumentsPerToken = true,
        };
        var repeat = new Option<int>("--repeat") { Description = "Runs per scenario (medians printed).", DefaultValueFactory = _ => 1 };
        var rtsp = new Option<bool>("--rtsp") { Description = "Serve each scenario over the RTSP test server (default: a file camera played once)." };
        var dir = new Option<string>("--dir") { Description = "Folder of the built scenarios (built there when missing).", DefaultValueFactory = _ => ScenarioSetBuilder.DefaultDir };
        var data = new Option<string>("--data") { Description = "The shared test data folder (faces/, images/).", DefaultValueFactory = _ => "../shared/data" };
        var details = new Option<bool>("--details") { Description = "Also print every visit: expected name, decisions, other people's names." };
        var command = new Command("tracking", "Identity integrity on scenario streams: visits named, inherited names, ID switches, IDF1, embeddings/s per face.");
        command.Options.Add(scenarios);
        command.Options.Add(repeat);
        command.Options.Add(rtsp);
        command.Options.Add(dir);
        command.Options.Add(data);
        command.Options.Add(details);
        command.SetAction((parseResult, ct) => RunAsync(
            parseResult.GetValue(CommonOptions.Config),
            parseResult.GetValue(scenarios) is { Length: > 0 } chosen ? chosen : ScenarioCatalog.Names,
            Math.Max(1, parseResult.GetValue(repeat)),
            parseResult.GetValue(rtsp),
            parseResult.GetValue(dir)!,
            parseResult.GetValue(data)!,
            parseResult.GetValue(details),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(string? configFile, string[] names, int repeat, bool rtsp, string dir, string data, bool details, CancellationToken ct)
    {
        if (ScenarioBench.UnknownNames("tracking", "scenario", names, ScenarioCatalog.Names) is { } problem)
        {
            Console.Error.WriteLine(problem);
            return 2;
        }

        var configuration = FaceWatchConfiguration.Build(configFile);
        var set = await ScenarioBench.LoadSetAsync(configuration, (detector, embedder) => ScenarioSetBuilder.LoadOrBuildAsync(data, dir, detector, embedder,
            step => Console.WriteLine($"building scenarios: {step} ..."), ct)).ConfigureAwait(false);

        Console.WriteLine($"scenarios in {set.Dir} ({ScenarioCatalog.Width}x{ScenarioCatalog.Height} @ {ScenarioCatalog.Fps} fps), gallery {set.GalleryPath}; " +
            $"{(rtsp ? "RTSP" : "file camera")}, {repeat} run(s) each");
        var rows = new List<(string Name, IReadOnlyList<(ScenarioScore Score, ScenarioRun Run)> Runs)>();
        foreach (var name in names)
        {
            var truth = set[name];
            var runs = new List<(ScenarioScore, ScenarioRun)>();
            for (var i = 0; i < repeat; i++)
            {
                var run = await ScenarioPlayer.PlayAsync(truth, new ScenarioPlayOptions
                {
                    GalleryPath = set.GalleryPath,
                    Configuration = configuration,
                    Rtsp = rtsp,
                    Configure = b => b.Logging.SetMinimumLevel(LogLevel.Warning),
                }, ct).ConfigureAwait(false);
                var score = ScenarioScorer.Score(truth, run.Frames, run.Events);
                runs.Add((score, run));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {name} run {i + 1}: {score.Named}/{score.Visits.Count} named, {score.Inherited} inherited, {score.NoEvent} no event, {score.ReusedTracks} on a reused track, IDF1 {score.Mot.Idf1:0.000}, {run.Frames.Count} frames processed in {run.Wall.TotalSeconds:0} s"));
                if (details)
                {
                    foreach (var v in score.Visits)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"    visit {v.Visit.Id} {v.Visit.Start:0.0}-{v.Visit.End:0.0}s expected {v.Visit.Expected}{(v.SecondsToName is { } t ? $" (named after {t:0.00} s)" : "")}: {(v.Decisions.Count == 0 ? "no event" : string.Join(", ", v.Decisions))}{(v.Inherited ? "; other names: " + string.Join(", ", v.WrongNames) : "")}"));
                    }
                }
            }

            rows.Add((name, runs));
        }

        Console.WriteLine();
        Console.WriteLine("| scenario | visits | named | inherited name | no event | extra arrived | track reused | ID switches | IDF1 | embeddings/s per face | slowest name (s) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, runs) in rows)
        {
            double M(Func<(ScenarioScore Score, ScenarioRun Run), double> f) => ScenarioBench.Median(runs.Select(f));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {runs[0].Score.Visits.Count} | {M(r => r.Score.Named):0.#} | {M(r => r.Score.Inherited):0.#} | {M(r => r.Score.NoEvent):0.#} | {M(r => r.Score.ExtraArrivals):0.#} | {M(r => r.Score.ReusedTracks):0.#} | {M(r => r.Score.Mot.IdSwitches):0.#} | {M(r => r.Score.Mot.Idf1):0.000} | {M(r => r.Run.EmbeddingsPerFaceSecond):0.00} | {M(r => r.Score.MaxSecondsToName):0.00} |"));
        }

        var all = rows.SelectMany(r => r.Runs).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| all (sum of medians / runs) | {rows.Sum(r => r.Runs[0].Score.Visits.Count)} | {rows.Sum(r => ScenarioBench.Median(r.Runs.Select(x => (double)x.Score.Named))):0.#} | {rows.Sum(r => ScenarioBench.Median(r.Runs.Select(x => (double)x.Score.Inherited))):0.#} | {rows.Sum(r => ScenarioBench.Median(r.Runs.Select(x => (double)x.Score.NoEvent))):0.#} | {rows.Sum(r => ScenarioBench.Median(r.Runs.Select(x => (double)x.Score.ExtraArrivals))):0.#} | {rows.Sum(r => ScenarioBench.Median(r.Runs.Select(x => (double)x.Score.ReusedTracks))):0.#} | {rows.Sum(r => ScenarioBench.Median(r.Runs.Select(x => (double)x.Score.Mot.IdSwitches))):0.#} | {ScenarioBench.Median(all.Select(x => x.Score.Mot.Idf1)):0.000} | {all.Sum(x => x.Run.EmbeddedFaces) / all.Sum(x => x.Score.FaceSeconds):0.00} | {all.Max(x => x.Score.MaxSecondsToName):0.00} |"));
        return 0;
    }
}
