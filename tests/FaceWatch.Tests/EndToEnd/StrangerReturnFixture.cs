using FaceWatch.Commands.Scenarios;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Models;
namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// The stranger-returns set (<see cref="StrangerReturnSetBuilder"/>) and its gallery, built with the real models from the
/// shared photos once into a cache folder, then loaded.
/// </summary>
public sealed class StrangerReturnFixture : IAsyncLifetime
{
    public ScenarioSet Set { get; private set; } = null!;

    public ScenarioTruth Truth => Set[StrangerReturnCatalog.Name];

    public async Task InitializeAsync()
    {
        var sessions = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir }));
        using var detector = new MtcnnDetector(sessions, Options.Create(new MtcnnOptions()));
        using var embedder = new OnnxFaceEmbedder(sessions, Options.Create(new EmbeddingOptions()));
        Set = await StrangerReturnSetBuilder.LoadOrBuildAsync(TestPaths.SharedData, StrangerReturnSetBuilder.DefaultDir, detector, embedder, progress: null, CancellationToken.None);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
