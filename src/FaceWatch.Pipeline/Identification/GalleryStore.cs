using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceWatch.Pipeline.Identification;

/// <summary>A gallery made with a different embedding model than the one configured.</summary>
public sealed class GalleryModelMismatchException(string message) : Exception(message);

/// <summary>
/// Reads and writes gallery files: JSON, float arrays as base64 of little-endian float32.
/// Saving is atomic: a temp file in the same folder is written and flushed to disk, then renamed over the
/// old file, so a crash mid-save leaves the old gallery (or none) but never a torn one.
/// </summary>
public static class GalleryStore
{
    public const string Format = "facewatch-gallery";
    public const int Version = 1;

    /// <summary>Loads <paramref name="path"/>; with <paramref name="expected"/>, refuses a gallery of another model.</summary>
    public static Gallery Load(string path, EmbeddingModelIdentity? expected = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Gallery '{path}' does not exist. Create it with 'facewatch enroll <folder> --gallery {path}'.", path);
        }

        GalleryFile? file;
        try
        {
            using var stream = File.OpenRead(path);
            file = JsonSerializer.Deserialize(stream, GalleryJsonContext.Default.GalleryFile);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Gallery '{path}' is not a valid gallery file: {ex.Message}", ex);
        }

        if (file is null || file.Format != Format || file.EmbeddingModel is null || file.Thresholds is null)
        {
            throw new InvalidDataException($"Gallery '{path}' is not a FaceWatch gallery file.");
        }

        if (file.Version > Version)
        {
            throw new InvalidDataException($"Gallery '{path}' has format version {file.Version}; this FaceWatch reads up to {Version}.");
        }

        var model = new EmbeddingModelIdentity(
            file.EmbeddingModel.ModelId, file.EmbeddingModel.ModelFile, file.EmbeddingModel.InputSize, file.EmbeddingModel.Dimension);
        if (expected is not null && !model.SameModelAs(expected))
        {
            throw new GalleryModelMismatchException(
                $"Gallery '{path}' was made with embedding model {model}, but the configured embedding model is {expected}. " +
                "Embeddings of different models cannot be compared: enroll the people again with the configured model, " +
                "or configure the model the gallery was made with.");
        }

        try
        {
            var people = file.People.Select(p => new EnrolledPerson(
                p.Name, p.Faces.Select(f => new EnrolledFace(f.Source, Floats(f.Embedding, model.Dimension))).ToArray())).ToArray();
            SvmClassifier? classifier = null;
            if (file.Classifier is { Count: >= 2 } classes)
            {
                classifier = new SvmClassifier(classes.Select(c => new SvmClass(
                    c.Name, new LinearModel(Floats(c.Weights, model.Dimension), c.Bias), new PlattSigmoid(c.PlattA, c.PlattB))).ToArray());
                if (!classifier.Classes.Select(c => c.Name).SequenceEqual(people.Select(p => p.Name)))
                {
                    throw new InvalidDataException("the classifier's classes do not match the people");
                }
            }
            else if (people.Length >= 2)
            {
                throw new InvalidDataException($"{people.Length} people but no classifier");
            }

            var t = file.Thresholds;
            return new Gallery(
                model, people, classifier, new OpenSetThresholds(t.Probability, t.Similarity, t.Method),
                file.Training ?? new SvmTrainingOptions(), file.CreatedAt);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or ArgumentException)
        {
            throw new InvalidDataException($"Gallery '{path}' is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>Writes <paramref name="gallery"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(Gallery gallery, string path) => Save(gallery, path, afterTempWritten: null);

    /// <summary>Test seam: <paramref name="afterTempWritten"/> runs between writing the temp file and renaming it.</summary>
    internal static void Save(Gallery gallery, string path, Action<string>? afterTempWritten)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                JsonSerializer.Serialize(stream, ToFile(gallery), GalleryJsonContext.Default.GalleryFile);
                stream.Flush(flushToDisk: true);
            }

            afterTempWritten?.Invoke(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static GalleryFile ToFile(Gallery g) => new()
    {
        Format = Format,
        Version = Version,
        CreatedAt = g.CreatedAt,
        EmbeddingModel = new ModelDto(g.Model.ModelId, g.Model.ModelFile, g.Model.InputSize, g.Model.Dimension),
        Thresholds = new ThresholdsDto(g.Thresholds.Probability, g.Thresholds.Similarity, g.Thresholds.Method),
        Training = g.Training,
        People = g.People.Select(p => new PersonDto(p.Name, p.Faces.Select(f => new FaceDto(f.Source, Base64(f.Embedding))).ToList())).ToList(),
        Classifier = g.Classifier?.Classes.Select(c => new ClassDto(c.Name, Base64(c.Model.Weights), c.Model.Bias, c.Sigmoid.A, c.Sigmoid.B)).ToList(),
    };

    private static string Base64(float[] values)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Gallery files are little-endian.");
        }

        return Convert.ToBase64String(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] Floats(string base64, int expectedLength)
    {
        var bytes = Convert.FromBase64String(base64);
        if (bytes.Length != expectedLength * sizeof(float))
        {
            throw new InvalidDataException($"a vector has {bytes.Length / sizeof(float)} values, expected {expectedLength}");
        }

        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    internal sealed class GalleryFile
    {
        public string Format { get; set; } = "";
        public int Version { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public ModelDto? EmbeddingModel { get; set; }
        public ThresholdsDto? Thresholds { get; set; }
        public SvmTrainingOptions? Training { get; set; }
        public List<PersonDto> People { get; set; } = [];
        public List<ClassDto>? Classifier { get; set; }
    }

    internal sealed record ModelDto(string ModelId, string ModelFile, int InputSize, int Dimension);

    internal sealed record ThresholdsDto(double Probability, double Similarity, string Method);

    internal sealed record PersonDto(string Name, List<FaceDto> Faces);

    internal sealed record FaceDto(string Source, string Embedding);

    internal sealed record ClassDto(string Name, string Weights, float Bias, double PlattA, double PlattB);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(GalleryStore.GalleryFile))]
internal sealed partial class GalleryJsonContext : JsonSerializerContext;
