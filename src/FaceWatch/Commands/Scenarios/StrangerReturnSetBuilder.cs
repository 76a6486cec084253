using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using OpenCvSharp;

namespace FaceWatch.Commands.Scenarios;

/// <summary>
/// Builds the "stranger-returns" set (<see cref="StrangerReturnCatalog"/>) the way <see cref="ScenarioSetBuilder"/> builds
/// its own (the same enrolled gallery and probes), with the catalog's LFW strangers instead of the <c>faces/knn</c> ones.
/// Built once into a cache folder keyed by <see cref="Version"/>.
/// </summary>
public static class StrangerReturnSetBuilder
{
    /// <summary>Bump when the plan, the cast or the rendering change: a new cache folder is built.</summary>
    public const string Version = "strangers-v1";

    private static readonly PhotoSetLayout Layout = new(new Size(ScenarioCatalog.Width, ScenarioCatalog.Height), ScenarioCatalog.Fps,
        ["example_02.jpg"], StrangerReturnCatalog.Names, StrangerReturnCatalog.All)
    {
        Strangers = StrangerReturnCatalog.Photos,
    };

    public static string DefaultDir => Path.Combine(Path.GetTempPath(), "facewatch-scenarios", Version);

    /// <summary>Loads the set from <paramref name="dir"/> when it is complete, else builds it there (about a minute).</summary>
    public static Task<ScenarioSet> LoadOrBuildAsync(
        string dataDir, string dir, IFaceDetector detector, IFaceEmbedder embedder, Action<string>? progress, CancellationToken ct) =>
        ScenarioSetBuilder.LoadOrBuildAsync(dataDir, dir, Version, Layout, detector, embedder, progress, ct);
}
