using FaceWatch.Commands.Scenarios;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Models;
namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// The small-faces set (<see cref="SmallFaceSetBuilder"/>) and its gallery, built with the real models from
/// <c>calibration/lfw</c> once into the same cache folder <c>facewatch bench visits</c> uses, then loaded.
/// </summary>
public sealed class SmallFaceFixture : IAsyncLifetime
{
    public ScenarioSet Set { get; private set; } = null!;

    public SmallFaceCast Cast { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var sessions = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir }));
        using var detector = new MtcnnDetector(sessions, Options.Create(new MtcnnOptions()));
        using var embedder = new OnnxFaceEmbedder(sessions, Options.Create(new EmbeddingOptions()));
        Set = await SmallFaceSetBuilder.LoadOrBuildAsync(TestPaths.SharedData, SmallFaceSetBuilder.DefaultDir, detector, embedder, progress: null, CancellationToken.None);
        Cast = SmallFaceCast.Load(Set.Dir);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
