using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceWatch.Pipeline.Detection;
using Microsoft.Extensions.Options;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Commands;

/// <summary><c>facewatch detect [--min-face N] [--json] [--out DIR] [--aligned] IMAGE...</c></summary>
internal static class DetectCommand
{
    /// <summary>Photos hold smaller faces than a live camera needs to care about.</summary>
    public const int PhotoMinFace = 20;

    /// <summary>Left eye, right eye, nose, left and right mouth corner.</summary>
    private static readonly Scalar[] LandmarkColours = [Scalar.Blue, Scalar.Red, Scalar.Yellow, Scalar.Cyan, Scalar.Magenta];

    public static Command Create()
    {
        var images = new Argument<string[]>("IMAGE")
        {
            Description = "Image files (JPEG, PNG, WebP, BMP, ...; decoded by content, not by extension).",
            Arity = ArgumentArity.OneOrMore,
        };
        var minFace = new Option<int>("--min-face")
        {
            Description = "Smallest face to find, in pixels.",
            DefaultValueFactory = _ => PhotoMinFace,
        };
        var json = new Option<bool>("--json") { Description = "Print a JSON array instead of text." };
        var outDir = new Option<string?>("--out") { Description = "Write an annotated copy of each image to this folder." };
        var aligned = new Option<bool>("--aligned") { Description = "With --out: also write the aligned face crops." };
        var alignedSize = new Option<int>("--aligned-size")
        {
            Description = "Side of the aligned crops in pixels.",
            DefaultValueFactory = _ => 112,
        };

        var command = new Command("detect", "Find faces (box, score, five landmarks) in images.");
        command.Arguments.Add(images);
        command.Options.Add(minFace);
        command.Options.Add(json);
        command.Options.Add(outDir);
        command.Options.Add(aligned);
        command.Options.Add(alignedSize);
        command.SetAction((parseResult, ct) => Task.FromResult(Run(
            parseResult.GetValue(CommonOptions.Config),
            parseResult.GetValue(images) ?? [],
            parseResult.GetValue(minFace),
            parseResult.GetValue(json),
            parseResult.GetValue(outDir),
            parseResult.GetValue(aligned),
            parseResult.GetValue(alignedSize),
            ct)));
        return command;
    }

    private static int Run(string? config, string[] files, int minFace, bool asJson, string? outDir, bool writeAligned, int alignedSize, CancellationToken ct)
    {
        if (writeAligned && outDir is null)
        {
            Console.Error.WriteLine("detect: --aligned needs --out DIR.");
            return 2;
        }

        if (alignedSize is < 16 or > 1024)
        {
            Console.Error.WriteLine($"detect: --aligned-size must be between 16 and 1024, was {alignedSize}.");
            return 2;
        }

        MtcnnDetector detector;
        long maxPixels;
        try
        {
            maxPixels = DetectorSetup.Images(config).MaxPixels;
#pragma warning disable CA2000 // assigned inside try only to catch setup errors; disposed by the using below
            detector = DetectorSetup.Create(config, o => o.MinFaceSize = minFace);
#pragma warning restore CA2000
        }
        catch (Exception e) when (DetectorSetup.IsSetupError(e))
        {
            Console.Error.WriteLine($"detect: {e.Message}");
            return 2;
        }

        using (detector)
        {
            OutputFiles? outputs;
            try
            {
                outputs = outDir is null ? null : OutputFiles.Create(outDir, files);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"detect: {VerbConsole.Safe(e.Message)}");
                return 2;
            }

            var failed = 0;
            using var stdout = Console.OpenStandardOutput();
            using var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
            if (asJson)
            {
                writer.WriteStartArray();
            }

            foreach (var file in files)
            {
                ct.ThrowIfCancellationRequested();
                Mat image;
                try
                {
                    image = ImageLoader.Load(file, maxPixels);
                }
                catch (ImageLoadException e)
                {
                    Console.Error.WriteLine($"detect: skipped: {VerbConsole.Safe(e.Message)}");
                    failed++;
                    continue;
                }

                using (image)
                {
                    var faces = detector.Detect(image);
                    if (asJson)
                    {
                        WriteJson(writer, file, image, faces);
                    }
                    else
                    {
                        WriteText(file, image, faces);
                    }

                    if (outputs is not null)
                    {
                        WriteImages(outputs, file, image, faces, writeAligned, alignedSize);
                    }
                }
            }

            if (asJson)
            {
                writer.WriteEndArray();
                writer.Flush();
                stdout.WriteByte((byte)'\n');
            }

            if (failed > 0)
            {
                Console.Error.WriteLine($"detect: {failed} of {files.Length} file(s) could not be read.");
                return 1;
            }

            return 0;
        }
    }

    private static void WriteText(string file, Mat image, IReadOnlyList<FaceDetection> faces)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"{VerbConsole.Safe(file)}: {image.Width}x{image.Height}, {faces.Count} face(s)");
        for (var i = 0; i < faces.Count; i++)
        {
            var f = faces[i];
            var points = string.Join(" ", f.Landmarks.Select(p => string.Create(c, $"({p.X:F0},{p.Y:F0})")));
            Console.WriteLine(string.Create(c,
                $"  face {i + 1}: x={f.Box.X:F0} y={f.Box.Y:F0} w={f.Box.Width:F0} h={f.Box.Height:F0} score={f.Score:F4} landmarks {points}"));
        }
    }

    private static void WriteJson(Utf8JsonWriter w, string file, Mat image, IReadOnlyList<FaceDetection> faces)
    {
        w.WriteStartObject();
        w.WriteString("file", file);
        w.WriteNumber("width", image.Width);
        w.WriteNumber("height", image.Height);
        w.WriteStartArray("faces");
        foreach (var f in faces)
        {
            w.WriteStartObject();
            w.WriteStartArray("box");
            w.WriteNumberValue(Math.Round(f.Box.X, 2));
            w.WriteNumberValue(Math.Round(f.Box.Y, 2));
            w.WriteNumberValue(Math.Round(f.Box.Width, 2));
            w.WriteNumberValue(Math.Round(f.Box.Height, 2));
            w.WriteEndArray();
            w.WriteNumber("score", Math.Round(f.Score, 5));
            w.WriteStartArray("landmarks");
            foreach (var p in f.Landmarks)
            {
                w.WriteStartArray();
                w.WriteNumberValue(Math.Round(p.X, 2));
                w.WriteNumberValue(Math.Round(p.Y, 2));
                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteImages(OutputFiles outputs, string file, Mat image, IReadOnlyList<FaceDetection> faces, bool writeAligned, int alignedSize)
    {
        string[] suffixes = [".faces.jpg", .. writeAligned ? faces.Select((_, i) => $".face{i + 1}.png") : []];
        var paths = outputs.Reserve(file, suffixes);
        using var annotated = image.Clone();
        var thickness = Math.Max(1, Math.Max(image.Width, image.Height) / 600);
        for (var i = 0; i < faces.Count; i++)
        {
            var f = faces[i];
            var box = new Rect((int)f.Box.X, (int)f.Box.Y, (int)f.Box.Width, (int)f.Box.Height);
            Cv2.Rectangle(annotated, box, Scalar.LimeGreen, thickness);
            Cv2.PutText(annotated, f.Score.ToString("F3", CultureInfo.InvariantCulture), new Point(box.X, Math.Max(12, box.Y - 4)),
                HersheyFonts.HersheySimplex, 0.4 * thickness, Scalar.LimeGreen, thickness);
            for (var j = 0; j < f.Landmarks.Length; j++)
            {
                Cv2.Circle(annotated, (Point)f.Landmarks[j], 2 * thickness, LandmarkColours[j], -1);
            }

            if (writeAligned)
            {
                using var crop = FaceAligner.Align(image, f.Landmarks, alignedSize);
                OutputFiles.Write(paths[i + 1], crop);
            }
        }

        OutputFiles.Write(paths[0], annotated);
    }
}
