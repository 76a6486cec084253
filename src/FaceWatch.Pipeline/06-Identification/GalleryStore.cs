using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

using FaceWatch.Pipeline.Embedding;
namespace FaceWatch.Pipeline.Identification;

/// <summary>A gallery made with a different embedding model than the one configured.</summary>
public sealed class GalleryModelMismatchException(string message) : Exception(message);

// Size: the gallery file format (versions 1 and 2, atomic writes, bounded reads, model checks) in one place, so a reader and a writer never disagree.
/// <summary>
/// Reads and writes gallery files: JSON, float arrays as base64 of little-endian float32.
/// Saving is atomic: a temp file in the same folder is written and flushed to disk, then renamed over the
/// old file, so a crash mid-save leaves the old gallery (or none) but never a torn one.
/// </summary>
public static class GalleryStore
{
    public const string Format = "facewatch-gallery";
    /// <summary>2: thresholds of the score rule with a model prior (issue 11). Version 1 files are recalibrated when loaded.</summary>
    public const int Version = 2;

    /// <summary>
    /// Loads <paramref name="path"/>; with <paramref name="expected"/>, refuses a gallery of another model.
    /// <paramref name="prior"/> is what later changes calibrate with (default: the prior shipped for the gallery's model).
    /// </summary>
    public static Gallery Load(string path, EmbeddingModelIdentity? expected = null, ScorePrior? prior = null)
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

            var negatives = (file.Negatives ?? []).Select(n => new NegativeFace(
                n.Person, n.Source, Finite(Floats(n.Embedding, model.Dimension), $"the negative face '{n.Source}'"))).ToArray();
            if (negatives.FirstOrDefault(n => n.Person is { } who && people.All(p => p.Name != who)) is { } orphan)
            {
                throw new InvalidDataException($"the negative face '{orphan.Source}' is for '{orphan.Person}', who is not in the gallery");
            }

            var t = file.Thresholds;
            var training = file.Training ?? new SvmTrainingOptions();
            prior ??= ScorePrior.BuiltIn(model.ModelId);
            if (file.Version < 2)
            {
                // Thresholds of the old rule mean something else: calibrate again from the stored faces (deterministic).
                var upgraded = Gallery.Create(model, people, file.CreatedAt, training, new GalleryCalibration(prior));
                return new Gallery(
                    model, upgraded.People, upgraded.Classifier,
                    upgraded.Thresholds with { Method = $"recalibrated from a version-{file.Version} gallery file: {upgraded.Thresholds.Method}" },
                    training, file.CreatedAt, upgraded.Calibration, negatives);
            }

            if (!double.IsFinite(t.Probability) || t.Probability is < 0 or > 1)
            {
                throw new InvalidDataException($"the probability threshold {t.Probability} is not between 0 and 1");
            }

            if (t.Score is not { } score)
            {
                throw new InvalidDataException("its thresholds have no score threshold");
            }

            if (!double.IsFinite(score) || score is < -1 or > 1)
            {
                throw new InvalidDataException($"the score threshold {score} is not between -1 and 1");
            }

            var evidence = t.EvidenceScores ?? [];
            if (evidence.Count > ScorePrior.EvidenceSizes.Length - 1 || evidence.Any(v => !double.IsFinite(v) || v is < -1 or > 1))
            {
                throw new InvalidDataException("the evidence score thresholds are not finite numbers between -1 and 1");
            }

            if (!double.IsFinite(t.MarginWeight) || t.MarginWeight is < 0 or > 10)
            {
                throw new InvalidDataException($"the margin weight {t.MarginWeight} is not between 0 and 10");
            }

            if (!double.IsFinite(t.StrangerRate) || t.StrangerRate is < OpenSetCalibration.MinStrangerRate or > OpenSetCalibration.MaxStrangerRate)
            {
                throw new InvalidDataException(
                    $"the share of strangers accepted {t.StrangerRate} is not between {OpenSetCalibration.MinStrangerRate} and {OpenSetCalibration.MaxStrangerRate}");
            }

            var thresholds = new OpenSetThresholds(t.Probability, score, t.Method)
            {
                MarginWeight = t.MarginWeight, StrangerRate = t.StrangerRate, EvidenceScores = evidence, Prior = t.Prior, GalleryScores = t.GalleryScores,
            };
            return new Gallery(model, people, classifier, thresholds, training, file.CreatedAt, new GalleryCalibration(prior, t.StrangerRate), negatives);
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

        var kind = Core.Imaging.SafeFile.KindOf(full, out _);
        if (kind is not (Core.Imaging.FileKind.Missing or Core.Imaging.FileKind.Regular))
        {
            throw new IOException($"Gallery '{full}' cannot be written: it is {Core.Imaging.SafeFile.Describe(kind)}.");
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
        Thresholds = new ThresholdsDto(g.Thresholds.Probability, null, g.Thresholds.Method)
        {
            Score = g.Thresholds.Score, MarginWeight = g.Thresholds.MarginWeight, StrangerRate = g.Thresholds.StrangerRate,
            EvidenceScores = [.. g.Thresholds.EvidenceScores], Prior = g.Thresholds.Prior, GalleryScores = g.Thresholds.GalleryScores,
        },
        Training = g.Training,
        People = g.People.Select(p => new PersonDto(p.Name, p.Faces.Select(f => new FaceDto(f.Source, Base64(f.Embedding))).ToList())).ToList(),
        Classifier = g.Classifier?.Classes.Select(c => new ClassDto(c.Name, Base64(c.Model.Weights), c.Model.Bias, c.Sigmoid.A, c.Sigmoid.B)).ToList(),
        Negatives = g.Negatives.Count == 0 ? null : g.Negatives.Select(n => new NegativeDto(n.Person, n.Source, Base64(n.Embedding))).ToList(),
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

        /// <summary>Optional (absent when there are none), so a gallery without negatives reads in an older FaceWatch.</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public List<NegativeDto>? Negatives { get; set; }
    }

    internal sealed record ModelDto(string ModelId, string ModelFile, int InputSize, int Dimension);

    /// <summary><see cref="Similarity"/> is version 1's (read only to know the file); version 2 writes the score rule's fields.</summary>
    internal sealed record ThresholdsDto(double Probability, double? Similarity, string Method)
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public double? Score { get; init; }

        public double MarginWeight { get; init; }

        public double StrangerRate { get; init; } = OpenSetCalibration.DefaultStrangerRate;

        public List<double>? EvidenceScores { get; init; }

        public string? Prior { get; init; }

        public int GalleryScores { get; init; }
    }

    internal sealed record PersonDto(string Name, List<FaceDto> Faces);

    internal sealed record FaceDto(string Source, string Embedding);

    internal sealed record NegativeDto(string? Person, string Source, string Embedding);

    internal sealed record ClassDto(string Name, string Weights, float Bias, double PlattA, double PlattB);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(GalleryStore.GalleryFile))]
internal sealed partial class GalleryJsonContext : JsonSerializerContext;
