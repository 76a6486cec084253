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
/// <c>facewatch bench visits</c>: open-set identification per visit on the "small-faces" scenario set (issue 11; small
/// faces seen from a ceiling camera, as many strangers as enrolled visits), played through the real daemon. Prints per
/// video and in total: enrolled visits named right, only ever <c>unknown</c>, named as someone else, strangers named as
/// someone (count and percent), the median time to the right name, and beside them the per-face view (the embedding
/// worker's single observations). Medians over --repeat runs.
/// </summary>
internal static class BenchVisitsCommand
{
    public static Command Create()
    {
        var videos = new Option<string[]>("--video")
        {
            Description = $"Videos to play (default all: {string.Join(", ", SmallFaceCatalog.Names)}).",
            AllowMultipleArgumentsPerToken = true,
        };
        var repeat = new Option<int>("--repeat") { Description = "Runs per video (medians printed).", DefaultValueFactory = _ => 1 };
        var rtsp = new Option<bool>("--rtsp") { Description = "Serve each video over the RTSP test server (default: a file camera played once)." };
        var dir = new Option<string>("--dir") { Description = "Folder of the built set (built there when missing).", DefaultValueFactory = _ => SmallFaceSetBuilder.DefaultDir };
        var data = new Option<string>("--data") { Description = "The shared test data folder (calibration/lfw, images/).", DefaultValueFactory = _ => "../shared/data" };
        var details = new Option<bool>("--details") { Description = "Also print every visit: who, face size, decisions, observations." };
        var command = new Command("visits", "Open-set identification per visit on small faces with strangers: named right, only unknown, named as another, strangers named.");
        command.Options.Add(videos);
        command.Options.Add(repeat);
        command.Options.Add(rtsp);
        command.Options.Add(dir);
        command.Options.Add(data);
        command.Options.Add(details);
        command.SetAction((parseResult, ct) => RunAsync(
            parseResult.GetValue(CommonOptions.Config),
            parseResult.GetValue(videos) is { Length: > 0 } chosen ? chosen : SmallFaceCatalog.Names,
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
        if (ScenarioBench.UnknownNames("visits", "video", names, SmallFaceCatalog.Names) is { } problem)
        {
            Console.Error.WriteLine(problem);
            return 2;
        }

        var configuration = FaceWatchConfiguration.Build(configFile);
        var set = await ScenarioBench.LoadSetAsync(configuration, (detector, embedder) => SmallFaceSetBuilder.LoadOrBuildAsync(data, dir, detector, embedder,
            step => Console.WriteLine($"building small-faces: {step} ..."), ct)).ConfigureAwait(false);

        var cast = SmallFaceCast.Load(set.Dir);
        Console.WriteLine($"small-faces set in {set.Dir} ({SmallFaceCatalog.Width}x{SmallFaceCatalog.Height} @ {SmallFaceCatalog.Fps} fps), gallery {set.GalleryPath}; " +
            $"{(rtsp ? "RTSP" : "file camera")}, {repeat} run(s) each");
        Console.WriteLine($"enrolled: {string.Join(", ", cast.People.Where(p => p.Role == "enrolled").Select(p => $"{p.Person} ({p.Gallery.Count} photos)"))}; " +
            $"distractors (never seen): {string.Join(", ", cast.People.Where(p => p.Role == "distractor").Select(p => $"{p.Person} ({p.Gallery.Count})"))}; " +
            $"{cast.People.Count(p => p.Role == "stranger")} strangers");
        Console.WriteLine($"probes dropped (MTCNN found no face where pasted): {cast.Dropped.Count(d => SmallFaceCatalog.IsEnrolledSlot(d.Slot))} enrolled, {cast.Dropped.Count(d => !SmallFaceCatalog.IsEnrolledSlot(d.Slot))} stranger");
        foreach (var note in set.Notes.Where(n => n.StartsWith("gallery thresholds", StringComparison.Ordinal)))
        {
            Console.WriteLine(note);
        }

        var scores = new List<(string Name, List<OpenSetScore> Runs)>();
        foreach (var name in names)
        {
            var truth = set[name];
            var runs = new List<OpenSetScore>();
            for (var i = 0; i < repeat; i++)
            {
                var run = await ScenarioPlayer.PlayAsync(truth, new ScenarioPlayOptions
                {
                    GalleryPath = set.GalleryPath,
                    Configuration = configuration,
                    Rtsp = rtsp,
                    Configure = b => b.Logging.SetMinimumLevel(LogLevel.Warning),
                }, ct).ConfigureAwait(false);
                var score = OpenSetScorer.Score(truth, run.Frames, run.Events, run.Observations);
                runs.Add(score);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {name} run {i + 1}: enrolled {score.NamedRight}/{score.EnrolledVisits} named right, {score.EnrolledOnlyUnknown} only unknown, {score.EnrolledNamedOther} named as another, {score.EnrolledNoEvent} no event; " +
                    $"strangers {score.StrangersNamed}/{score.StrangerVisits} named as someone ({score.StrangersNamedByEvent} by an event); {run.Frames.Count} frames, {run.Observations.Count} observations ({score.UnmatchedObservations} on no visit) in {run.Wall.TotalSeconds:0} s"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    similarity of single embeddings to the nearest enrolled person: enrolled faces median {ScenarioBench.Median(score.Enrolled.SelectMany(v => v.Similarities)):0.000} (lowest {Min(score.Enrolled.SelectMany(v => v.Similarities)):0.000}), " +
                    $"strangers median {ScenarioBench.Median(score.Strangers.SelectMany(v => v.Similarities)):0.000} (highest {Max(score.Strangers.SelectMany(v => v.Similarities)):0.000})"));
                if (details)
                {
                    foreach (var v in score.Visits)
                    {
                        var size = v.Visit.Boxes.Count > 0 ? v.Visit.Boxes[v.Visit.Boxes.Count / 2].W : 0;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"    visit {v.Visit.Id} {v.Visit.Start:0.0}-{v.Visit.End:0.0}s {(v.Visit.Enrolled ? "enrolled" : "stranger")} {v.Visit.Person} ({size} px, {v.Visit.Photo}): {v.Outcome}" +
                            $"{(v.SecondsToName is { } t ? $" after {t:0.00} s" : "")}{(v.GotOtherName ? " as " + string.Join("/", v.OtherNames.Concat(v.CarriedNames).Distinct()) : "")}; [{string.Join(", ", v.Decisions)}]; observations {v.ObservationsRight} right, {v.ObservationsOther} other name of {v.Observations}"));
                    }
                }
            }

            scores.Add((name, runs));
        }

        Console.WriteLine();
        Console.WriteLine("| video | enrolled visits | named right | only unknown | named as another | no event | stranger visits | strangers named as someone | by an event | median s to right name | enrolled faces named right (per embedding) | stranger faces named (per embedding) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, runs) in scores)
        {
            Console.WriteLine(Row(name, runs));
        }

        // The total of a run is the sum over the videos of that run; the medians are over those totals.
        var totals = Enumerable.Range(0, repeat).Select(r => scores.Select(s => s.Runs[r]).ToArray()).ToArray();
        Console.WriteLine(Row("all", [.. totals.Select(t => new OpenSetScore("all", [.. t.SelectMany(s => s.Visits)], t.Sum(s => s.UnmatchedObservations)))]));
        return 0;
    }

    private static string Row(string name, List<OpenSetScore> runs)
    {
        double M(Func<OpenSetScore, double> f) => ScenarioBench.Median(runs.Select(f));
        var first = runs[0];
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {first.EnrolledVisits} | {M(r => r.NamedRight):0.#} | {M(r => r.EnrolledOnlyUnknown):0.#} | {M(r => r.EnrolledNamedOther):0.#} | {M(r => r.EnrolledNoEvent):0.#} | " +
            $"{first.StrangerVisits} | {M(r => r.StrangersNamed):0.#} ({M(r => Share(r.StrangersNamed, r.StrangerVisits)):0.#} %) | {M(r => r.StrangersNamedByEvent):0.#} | {M(r => ScenarioBench.Median(r.SecondsToName)):0.00} | " +
            $"{M(r => Share(r.EnrolledObservationsRight, r.EnrolledObservations)):0.#} % of {M(r => r.EnrolledObservations):0} | {M(r => Share(r.StrangerObservationsNamed, r.StrangerObservations)):0.#} % of {M(r => r.StrangerObservations):0} |");
    }

    private static double Min(IEnumerable<double> values) => values.DefaultIfEmpty(double.NaN).Min();

    private static double Max(IEnumerable<double> values) => values.DefaultIfEmpty(double.NaN).Max();

    private static double Share(int part, int whole) => whole == 0 ? 0 : 100.0 * part / whole;
}
