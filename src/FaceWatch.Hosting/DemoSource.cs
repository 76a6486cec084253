using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using Microsoft.Extensions.Logging;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Hosting;

/// <summary>Where the built-in demo's clip and gallery are: the repo's <c>demo/</c> folder (working folder, then next to the executable).</summary>
public static class DemoSource
{
    public const string Clip = "short_hamilton_clip.mp4";

    private static readonly string SharedClip = Path.Combine("..", "shared", "data", "video", Clip);

    public static string? FindClip(string configured) => Candidates(configured, Clip, extra: SharedClip).FirstOrDefault(File.Exists);

    public static string? FindGallery(string configured) => Candidates(configured, "gallery", extra: null).FirstOrDefault(Directory.Exists);

    public static string Describe(string configured) => string.Join(", ", Candidates(configured, Clip, SharedClip));

    private static IEnumerable<string> Candidates(string configured, string name, string? extra)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            yield return Path.GetFullPath(configured);
            yield break;
        }

        yield return Path.GetFullPath(Path.Combine("demo", name));
        yield return Path.Combine(AppContext.BaseDirectory, "demo", name);
        if (extra is not null)
        {
            yield return Path.GetFullPath(extra);
        }
    }
}

/// <summary>Enrolls the demo gallery folder (<c>person/*.jpg</c>) in memory: the largest face of each photo.</summary>
public static partial class DemoGallery
{
    public static Gallery Enroll(string folder, IFaceDetector detector, IFaceEmbedder embedder, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(embedder);
        var people = new List<EnrolledPerson>();
        foreach (var personDir in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
        {
            var faces = new List<EnrolledFace>();
            foreach (var file in Directory.GetFiles(personDir).Order(StringComparer.Ordinal))
            {
                using var image = ImageLoader.Load(file);
                var face = detector.Detect(image, 20).OrderByDescending(d => d.Box.Width * d.Box.Height).FirstOrDefault();
                if (face is null)
                {
                    LogNoFace(logger, file);
                    continue;
                }

                using var crop = FaceAligner.Align(image, face.Landmarks, embedder.InputSize);
                faces.Add(new EnrolledFace(file, embedder.Embed([crop])[0]));
            }

            people.Add(new EnrolledPerson(Path.GetFileName(personDir), faces));
        }

        return Gallery.Create(ModelOf(embedder), people, time.GetUtcNow());
    }

    /// <summary>The model a gallery embedded by <paramref name="embedder"/> belongs to (no file: compared by id, size and dimension).</summary>
    public static EmbeddingModelIdentity ModelOf(IFaceEmbedder embedder)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        // named, so a model mismatch message says which model is configured
        return new EmbeddingModelIdentity(embedder.ModelId, embedder.ModelName, embedder.InputSize, embedder.Dimension);
    }

    [LoggerMessage(403, LogLevel.Warning, "Demo gallery photo {File} has no face; skipped")]
    private static partial void LogNoFace(ILogger logger, string file);
}
