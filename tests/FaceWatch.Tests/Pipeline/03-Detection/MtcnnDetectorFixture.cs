using FaceWatch.Pipeline.Detection;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Models;
namespace FaceWatch.Tests.Pipeline.Detection;

/// <summary>One real MTCNN detector (converted models from <see cref="TestPaths.ModelsDir"/>) per test class.</summary>
public sealed class MtcnnDetectorFixture : IDisposable
{
    public MtcnnDetectorFixture()
    {
        Sessions = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir }));
        Detector = Create(new MtcnnOptions());
    }

    public InferenceSessionFactory Sessions { get; }

    /// <summary>Default options: minimum face 40, thresholds 0.6/0.7/0.7, one ORT thread.</summary>
    public MtcnnDetector Detector { get; }

    public MtcnnDetector Create(MtcnnOptions options) => new(Sessions, Options.Create(options));

    public void Dispose() => Detector.Dispose();
}
