using System.Diagnostics;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Models;
namespace FaceWatch.Tests.Pipeline.Identification;

/// <summary>
/// The real models, loaded once for every identification test class, and the shared photos embedded once:
/// <c>faces/jurassic</c> enrolled with suspects kept (so tests can split it as they like).
/// </summary>
public sealed class IdentificationFixture : IDisposable
{
    private readonly Lazy<EnrollmentResult> _jurassic;

    public IdentificationFixture()
    {
        Sessions = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir, Threads = 2 }));
        Detector = new MtcnnDetector(Sessions, Options.Create(new MtcnnOptions()));
        Embedder = new OnnxFaceEmbedder(Sessions, Options.Create(new EmbeddingOptions()));
        Reader = new PhotoFaceReader(Detector, (image, face) => FaceAligner.Align(image, face.Landmarks, Embedder.InputSize));
        _jurassic = new Lazy<EnrollmentResult>(() =>
            Enroller().Enroll(TestPaths.Data("faces", "jurassic"), new EnrollmentSettings { KeepSuspects = true }));
    }

    public InferenceSessionFactory Sessions { get; }

    public MtcnnDetector Detector { get; }

    public OnnxFaceEmbedder Embedder { get; }

    public PhotoFaceReader Reader { get; }

    /// <summary>All of faces/jurassic enrolled, suspects kept, with the enrollment warnings.</summary>
    public EnrollmentResult Jurassic => _jurassic.Value;

    /// <summary>The README's list of files that are not clean photos of the labelled person (docs/jurassic-suspects.txt).</summary>
    public static IReadOnlySet<string> JurassicSuspects { get; } =
        File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "docs", "jurassic-suspects.txt")).Where(l => l.Length > 0).ToHashSet();

    public FolderEnroller Enroller() => new(Reader, Embedder, Embedder.Identity, TimeProvider.System);

    public void Dispose()
    {
        Detector.Dispose();
        Embedder.Dispose();
    }

    /// <summary>Runs the real <c>facewatch</c> CLI (built next to the tests) as a child process.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunCli(string workingDir, IDictionary<string, string>? env, params string[] args)
    {
        var start = Infrastructure.Cli.StartInfo(workingDir, env, args);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // a hung CLI must not outlive the test
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

[CollectionDefinition(Name)]
public sealed class IdentificationCollection : ICollectionFixture<IdentificationFixture>
{
    public const string Name = "identification (real models)";
}
