using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceWatch.Core.Imaging;
namespace FaceWatch.Commands;

/// <summary><c>facewatch embed IMAGE...</c>: the embedding of every face, for matching in your own store.</summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var images = new Argument<string[]>("IMAGE") { Description = "Photos to embed.", Arity = ArgumentArity.OneOrMore };
        var aligned = EnrollCommand.AlignedOption();
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var command = new Command("embed", "Print the L2-normalised embedding of every face in photos.") { images, aligned, json };
        command.SetAction((parseResult, ct) => Task.FromResult(VerbConsole.Run("embed", () =>
        {
            var isAligned = parseResult.GetValue(aligned);
            using var tools = FaceTools.Create(parseResult.GetValue(CommonOptions.Config), needDetector: !isAligned);
            var results = new List<EmbeddedImageJson>();
            var files = parseResult.GetValue(images)!;
            foreach (var file in files)
            {
                ct.ThrowIfCancellationRequested();
                try
                {
                    using var photo = tools.Reader.Read(file, isAligned);
                    var embeddings = tools.Embed(photo);
                    results.Add(new EmbeddedImageJson(file, photo.Faces.Select((f, i) => new EmbeddedFaceJson(IdentifyCommand.Box(f), embeddings[i])).ToList()));
                }
                catch (ImageLoadException ex)
                {
                    VerbConsole.Warn($"{ex.Message} Skipped.");
                }
            }

            if (parseResult.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(results, VerbJsonContext.Default.ListEmbeddedImageJson));
            }
            else
            {
                foreach (var r in results)
                {
                    if (r.Faces.Count == 0)
                    {
                        Console.WriteLine($"{VerbConsole.Safe(r.File)}\tno face");
                    }

                    foreach (var f in r.Faces)
                    {
                        Console.WriteLine($"{VerbConsole.Safe(r.File)}\t{string.Join(",", f.Box)}\t{string.Join(" ", f.Embedding.Select(v => v.ToString("G7", CultureInfo.InvariantCulture)))}");
                    }
                }
            }

            return results.Count == 0 && files.Length > 0 ? 1 : 0;
        })));
        return command;
    }
}
