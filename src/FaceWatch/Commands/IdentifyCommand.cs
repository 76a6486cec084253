using System.CommandLine;
using System.Text.Json;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Commands;

/// <summary><c>facewatch identify IMAGE...</c>: names every face in each image (or <c>unknown</c>), optionally drawing them.</summary>
internal static class IdentifyCommand
{
    public static Command Create()
    {
        var images = new Argument<string[]>("IMAGE") { Description = "Photos to look at.", Arity = ArgumentArity.OneOrMore };
        var gallery = EnrollCommand.GalleryOption();
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var output = new Option<string?>("--out") { Description = "Folder to write each image to, with boxes and 'name (probability)' drawn." };
        var command = new Command("identify", "Name every face in photos using a gallery, or say unknown.") { images, gallery, json, output };
        command.SetAction((parseResult, ct) => Task.FromResult(VerbConsole.Run("identify", () =>
        {
            using var tools = FaceTools.Create(parseResult.GetValue(CommonOptions.Config), needDetector: true);
            var identifier = new Identifier(tools.LoadGallery(parseResult.GetValue(gallery)));
            var outDir = parseResult.GetValue(output);
            var files = parseResult.GetValue(images)!;
            var outputs = outDir is null ? null : OutputFiles.Create(outDir, files);
            var results = new List<ImageJson>();
            foreach (var file in files)
            {
                ct.ThrowIfCancellationRequested();
                Mat image;
                try
                {
                    image = ImageLoader.Load(file, tools.Reader.MaxPixels);
                }
                catch (ImageLoadException ex)
                {
                    VerbConsole.Warn($"{ex.Message} Skipped.");
                    continue;
                }

                using (image)
                {
                    using var photo = tools.Reader.Read(image, file);
                    var embeddings = tools.Embed(photo);
                    var faces = photo.Faces.Select((f, i) =>
                    {
                        var m = identifier.Identify(embeddings[i]);
                        return FaceJson.From(Box(f), m);
                    }).ToList();
                    results.Add(new ImageJson(file, faces));
                    if (outputs is not null)
                    {
                        var written = Draw(image, faces, outputs, file);
                        Console.Error.WriteLine($"identify: wrote {VerbConsole.Safe(written)}");
                    }
                }
            }

            if (parseResult.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(results, VerbJsonContext.Default.ListImageJson));
            }
            else
            {
                foreach (var r in results)
                {
                    Console.WriteLine($"{VerbConsole.Safe(r.File)}: {(r.Faces.Count == 0 ? "no face" : $"{r.Faces.Count} face{(r.Faces.Count == 1 ? "" : "s")}")}");
                    foreach (var f in r.Faces)
                    {
                        Console.WriteLine($"  {Explain(f),-30} probability {f.Probability:F2}  similarity {f.Similarity:F2}{Margin(f)}  score {f.Score:F2}  box [{string.Join(", ", f.Box)}]");
                    }
                }
            }

            return results.Count == 0 && files.Length > 0 ? 1 : 0;
        })));
        return command;
    }

    /// <summary>The name, or <c>unknown (nearest alice: score 0.41 &lt; 0.45)</c> naming the threshold(s) that rejected it.</summary>
    internal static string Explain(FaceJson f)
    {
        if (f.Known || f.Nearest is null)
        {
            return VerbConsole.Safe(f.Name);
        }

        if (f.Name == IdentityMatch.Ignored)
        {
            return $"ignored (an ignored stranger, {VerbConsole.Safe(f.Negative)})";
        }

        var why = new List<string>();
        if (f.RejectedBy is "score" or "both")
        {
            why.Add($"score {f.Score:F2} < {f.ScoreThreshold:F2}");
        }

        if (f.RejectedBy is "probability" or "both")
        {
            why.Add($"probability {f.Probability:F2} < {f.ProbabilityThreshold:F2}");
        }

        if (f.RejectedBy is "negative")
        {
            why.Add($"a rejected match, {VerbConsole.Safe(f.Negative)}");
        }

        return $"unknown (nearest {VerbConsole.Safe(f.Nearest)}: {string.Join(", ", why)})";
    }

    private static string Margin(FaceJson f) =>
        f.Margin is { } m ? $"  margin {m:F2} over {VerbConsole.Safe(f.SecondNearest!)}" : "";

    internal static int[] Box(PhotoFace f) =>
        [(int)Math.Round(f.Box.X), (int)Math.Round(f.Box.Y), (int)Math.Round(f.Box.Width), (int)Math.Round(f.Box.Height)];

    private static string Draw(Mat image, List<FaceJson> faces, OutputFiles outputs, string file)
    {
        using var canvas = image.Clone();
        var thickness = Math.Max(2, canvas.Width / 400);
        var scale = Math.Max(0.5, canvas.Width / 1200.0);
        foreach (var f in faces)
        {
            var colour = f.Known ? new Scalar(0, 200, 0) : new Scalar(0, 0, 230);
            var rect = new Rect(f.Box[0], f.Box[1], f.Box[2], f.Box[3]);
            Cv2.Rectangle(canvas, rect, colour, thickness);
            var text = $"{f.Name} ({f.Probability:F2})";
            var size = Cv2.GetTextSize(text, HersheyFonts.HersheySimplex, scale, thickness, out var baseline);
            var top = Math.Max(0, rect.Y - size.Height - baseline - 4);
            var left = Math.Max(0, Math.Min(rect.X, canvas.Width - size.Width - 4)); // keep the label inside the image
            Cv2.Rectangle(canvas, new Rect(left, top, size.Width + 4, size.Height + baseline + 4), colour, -1);
            Cv2.PutText(canvas, text, new Point(left + 2, top + size.Height + 2), HersheyFonts.HersheySimplex, scale, Scalar.White, thickness);
        }

        var target = outputs.Reserve(file, ".identified.jpg")[0];
        OutputFiles.Write(target, canvas);
        return target;
    }
}
