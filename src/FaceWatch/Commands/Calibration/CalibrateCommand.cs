using System.CommandLine;

namespace FaceWatch.Commands.Calibration;

/// <summary>
/// <c>facewatch models calibrate DIR</c>: measures the embedding model's genuine and impostor score distributions on a
/// folder of many people and writes the model-level prior that small galleries shrink toward.
/// </summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "Folder of many people, one sub-folder each (e.g. ../shared/data/calibration/lfw)." };
        var embeddings = new Option<string?>("--embeddings") { Description = "Cache file for the photos' embeddings: reused when it was made with the same model, written otherwise." };
        var faceWidth = new Option<int>("--face-width") { Description = "Degrade every photo so its face is this many pixels wide (0: as it is)." };
        var blur = new Option<double>("--blur") { Description = "Gaussian blur sigma in pixels at the face's degraded size (0: none)." };
        var config = CommonOptions.Config;
        var command = new Command("calibrate", "Measure the embedding model's score distributions on many people and write its calibration prior.");
        command.Arguments.Add(dir);
        command.Options.Add(embeddings);
        command.Options.Add(faceWidth);
        command.Options.Add(blur);
        command.Options.Add(config);
        command.SetAction((parseResult, ct) =>
        {
            var root = parseResult.GetValue(dir)!;
            if (!Directory.Exists(root))
            {
                Console.Error.WriteLine($"facewatch models calibrate: folder '{root}' does not exist.");
                return Task.FromResult(1);
            }

            using var tools = FaceTools.Create(parseResult.GetValue(config), needDetector: true);
            var cache = parseResult.GetValue(embeddings);
            var data = cache is null ? null : LabelledEmbeddings.TryRead(cache, tools.Embedder.Identity.ModelId);
            if (data is null)
            {
                var progress = new Progress<(int Done, int Total)>(p =>
                {
                    if (p.Done % 500 == 0 || p.Done == p.Total)
                    {
                        Console.Error.WriteLine($"  embedded {p.Done}/{p.Total} photos");
                    }
                });
                data = LabelledEmbeddings.Compute(tools, root, new ProbeDegradation(parseResult.GetValue(faceWidth), parseResult.GetValue(blur)), progress, ct);
                if (cache is not null)
                {
                    data.Write(cache);
                }
            }

            Console.WriteLine($"{data.Items.Count} faces of {data.Items.Select(i => i.Person).Distinct().Count()} people embedded.");
            return Task.FromResult(0);
        });
        return command;
    }
}
