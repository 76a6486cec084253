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
            if (file.People.Count == 0)
            {
                throw new InvalidDataException("it has no people");
            }

            foreach (var p in file.People)
            {
                if (PersonName.Problem(p.Name) is { } problem)
                {
                    throw new InvalidDataException($"person name '{PersonName.Escape(p.Name)}' {problem}");
                }

                if (p.Faces is not { Count: > 0 })
                {
                    throw new InvalidDataException($"person '{p.Name}' has no faces");
                }
            }

            if (file.People.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                throw new InvalidDataException($"person '{twice.Key}' appears twice");
            }

            var people = file.People.Select(p => new EnrolledPerson(
                p.Name, p.Faces.Select(f => new EnrolledFace(f.Source, Finite(Floats(f.Embedding, model.Dimension), $"an embedding of '{p.Name}'"))).ToArray())).ToArray();
            SvmClassifier? classifier = null;
            if (file.Classifier is { Count: >= 2 } classes)
            {
                foreach (var c in classes)
                {
                    if (!float.IsFinite(c.Bias) || !double.IsFinite(c.PlattA) || !double.IsFinite(c.PlattB))
                    {
                        throw new InvalidDataException($"the classifier of '{c.Name}' has a value that is not a finite number");
                    }
                }

                classifier = new SvmClassifier(classes.Select(c => new SvmClass(
                    c.Name, new LinearModel(Finite(Floats(c.Weights, model.Dimension), $"the classifier weights of '{c.Name}'"), c.Bias),
                    new PlattSigmoid(c.PlattA, c.PlattB))).ToArray());
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
            if (!double.IsFinite(t.Probability) || t.Probability is < 0 or > 1)
            {
                throw new InvalidDataException($"the probability threshold {t.Probability} is not between 0 and 1");
            }

            if (!double.IsFinite(t.Similarity) || t.Similarity is < -1 or > 1)
            {
                throw new InvalidDataException($"the similarity threshold {t.Similarity} is not between -1 and 1");
            }

            return new Gallery(
                model, people, classifier, new OpenSetThresholds(t.Probability, t.Similarity, t.Method),
                file.Training ?? new SvmTrainingOptions(), file.CreatedAt);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or ArgumentException)
        {
            throw new InvalidDataException($"Gallery '{path}' is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Fails at once, naming the gallery, when <paramref name="path"/> could not be saved later: its folder is missing (it
    /// is not created), it is a folder or a special file, or the folder is not writable (a probe file is created and
    /// removed). For the verbs to check before the embedding work.
    /// </summary>
    public static void CheckWritable(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        ThrowIfNoFolder(full, dir);

        var kind = Imaging.SafeFile.KindOf(full, out _);
        if (kind is not (Imaging.FileKind.Missing or Imaging.FileKind.Regular))
        {
            throw new IOException($"Gallery '{full}' cannot be written: it is {Imaging.SafeFile.Describe(kind)}.");
        }

        var probe = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.probe");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UnauthorizedAccessException($"Gallery '{full}' cannot be written: no new file can be made in folder '{dir}' (no permission, or a read-only file system).", ex);
        }
    }

    /// <summary>Writes <paramref name="gallery"/> to <paramref name="path"/> atomically; its folder must exist.</summary>
    public static void Save(Gallery gallery, string path) => Save(gallery, path, afterTempWritten: null);

    /// <summary>Test seam: <paramref name="afterTempWritten"/> runs between writing the temp file and renaming it.</summary>
    internal static void Save(Gallery gallery, string path, Action<string>? afterTempWritten)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        ThrowIfNoFolder(full, dir);

        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            FileStream stream;
            try
            {
                stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UnauthorizedAccessException($"Gallery '{full}' cannot be written: no new file can be made in folder '{dir}'.", ex);
            }

            using (stream)
            {
                JsonSerializer.Serialize(stream, ToFile(gallery), GalleryJsonContext.Default.GalleryFile);
                stream.Flush(flushToDisk: true);
            }

            afterTempWritten?.Invoke(temp);
            try
            {
                File.Move(temp, full, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"Gallery '{full}' cannot be written: {ex.Message.Replace(temp, "(temporary file)", StringComparison.Ordinal)}", ex);
            }
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

    private static void ThrowIfNoFolder(string full, string dir)
    {
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"Gallery '{full}' cannot be written: folder '{dir}' does not exist (create it first).");
        }
    }

    private static float[] Finite(float[] values, string what) =>
        values.All(float.IsFinite) ? values : throw new InvalidDataException($"{what} holds a value that is not a finite number (NaN or infinity)");

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
