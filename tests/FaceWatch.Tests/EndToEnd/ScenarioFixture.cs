using FaceWatch.Commands.Scenarios;
using FaceWatch.Hosting;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Models;
namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// The scenario videos and their gallery (<see cref="ScenarioSetBuilder"/>), built with the real models from the shared
/// photos once into the same cache folder <c>facewatch bench tracking</c> uses, then loaded.
/// </summary>
public sealed class ScenarioFixture : IAsyncLifetime
{
    public ScenarioSet Set { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var sessions = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir }));
        using var detector = new MtcnnDetector(sessions, Options.Create(new MtcnnOptions()));
        using var embedder = new OnnxFaceEmbedder(sessions, Options.Create(new EmbeddingOptions()));
        Set = await ScenarioSetBuilder.LoadOrBuildAsync(TestPaths.SharedData, ScenarioSetBuilder.DefaultDir, detector, embedder, progress: null, CancellationToken.None);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The models and nothing else: the rest comes from the scenario run.</summary>
    public static IConfiguration BaseConfiguration() =>
        new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>("Models:Dir", TestPaths.ModelsDir)])
            .Build();

    /// <summary>The demo gallery (<c>demo/gallery</c> of the repository) enrolled into <paramref name="path"/>.</summary>
    public static void EnrollDemoGallery(string path)
    {
        var sessions = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir }));
        using var detector = new MtcnnDetector(sessions, Options.Create(new MtcnnOptions()));
        using var embedder = new OnnxFaceEmbedder(sessions, Options.Create(new EmbeddingOptions()));
        var gallery = DemoGallery.Enroll(Path.Combine(TestPaths.RepoRoot, "demo", "gallery"), detector, embedder, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        FaceWatch.Pipeline.Identification.GalleryStore.Save(gallery, path);
    }
}
