using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using OpenCvSharp;

namespace FaceWatch.Commands.Scenarios;

/// <summary>
/// Builds the "fixed-camera" set (<see cref="FixedCameraCatalog"/>) the way <see cref="ScenarioSetBuilder"/> builds its
/// own: the same gallery (the <c>faces/jurassic</c> people and kit_harington, enrolled with the real
/// <see cref="Pipeline.Identification.FolderEnroller"/>), the same probes (checked with <c>identify</c> on a pasted
/// frame, so a miss is the live path's), the strangers of <c>faces/knn</c>; one blurred still as the background.
/// Built once into a cache folder keyed by <see cref="Version"/>.
/// </summary>
public static class FixedCameraSetBuilder
{
    /// <summary>Bump when the plan, the cast or the rendering change: a new cache folder is built.</summary>
    public const string Version = "fixed-v1";

    private static readonly PhotoSetLayout Layout = new(new Size(FixedCameraCatalog.Width, FixedCameraCatalog.Height), FixedCameraCatalog.Fps,
        ["example_02.jpg"], FixedCameraCatalog.Names, FixedCameraCatalog.All);

    public static string DefaultDir => Path.Combine(Path.GetTempPath(), "facewatch-scenarios", Version);

    /// <summary>Loads the set from <paramref name="dir"/> when it is complete, else builds it there (about a minute).</summary>
    public static Task<ScenarioSet> LoadOrBuildAsync(
        string dataDir, string dir, IFaceDetector detector, IFaceEmbedder embedder, Action<string>? progress, CancellationToken ct) =>
        ScenarioSetBuilder.LoadOrBuildAsync(dataDir, dir, Version, Layout, detector, embedder, progress, ct);
}
